let unpdfModule: Promise<typeof import("unpdf")> | undefined;

/** One page of a PDF: its number (from 1), its label (as printed, e.g. `"iv"`, else its number), its text. */
export interface PdfPage {
  number: number;
  label: string;
  text: string;
}

/** The text of a PDF, page by page. */
export interface PdfText {
  pageCount: number;
  pages: PdfPage[];
}

/**
 * The text layer of a PDF, page by page (via `unpdf`, Mozilla's pdf.js built to run without a worker or a
 * canvas, imported on first use). Lines of a page are separated by newlines. A scanned PDF without a text layer
 * yields empty pages.
 *
 * @throws Error when the PDF is password-protected, or corrupt.
 */
export async function pdfToText(bytes: Uint8Array): Promise<PdfText> {
  unpdfModule ??= import("unpdf");
  const { extractText, getDocumentProxy } = await unpdfModule;
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // verbosity 0: pdf.js would print its recoverable warnings to the console.
    pdf = await getDocumentProxy(data, { verbosity: 0 });
  } catch (error) {
    throw pdfError(error);
  }
  try {
    const { totalPages, text } = await extractText(pdf, { mergePages: false });
    const labels = await pdf.getPageLabels().catch(() => null);
    return {
      pageCount: totalPages,
      pages: text.map((pageText, i) => ({
        number: i + 1,
        label: labels?.[i] || String(i + 1),
        text: pageText.trim(),
      })),
    };
  } catch (error) {
    throw pdfError(error);
  } finally {
    await pdf.destroy().catch(() => undefined);
  }
}

function pdfError(error: unknown): Error {
  const name = error instanceof Error ? error.name : "";
  const message = error instanceof Error ? error.message : String(error);
  if (name === "PasswordException") {
    return new Error(`the PDF is encrypted with a password (${message})`, { cause: error });
  }
  return new Error(`not a readable PDF file: ${message}`, { cause: error });
}
