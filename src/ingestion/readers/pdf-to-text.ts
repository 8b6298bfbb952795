import { messageOf } from "../../errors/message-of.js";
import { LimitExceededError } from "./limits.js";

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

/** A chunk of `streamTextContent`: text items (with `str`) and marked-content items (without). */
interface TextChunk {
  items: Array<{ str?: string; hasEOL?: boolean }>;
}

/**
 * The text layer of a PDF, page by page (via `unpdf`, Mozilla's pdf.js built to run without a worker or a
 * canvas, imported on first use). Lines of a page are separated by newlines. A scanned PDF without a text layer
 * yields empty pages.
 *
 * The text is read as pdf.js extracts it, page after page, and extraction stops once it passes `maxTextLength`
 * characters: a PDF's content is compressed, so a small file can hold far more text than memory does.
 *
 * @throws LimitExceededError when the text is longer than `maxTextLength` characters.
 * @throws Error when the PDF is password-protected, or corrupt.
 */
export async function pdfToText(bytes: Uint8Array, options: { maxTextLength: number }): Promise<PdfText> {
  unpdfModule ??= import("unpdf");
  const { getDocumentProxy } = await unpdfModule;
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // verbosity 0: pdf.js would print its recoverable warnings to the console.
    pdf = await getDocumentProxy(data, { verbosity: 0 });
  } catch (error) {
    throw pdfError(error);
  }
  try {
    const pageCount = pdf.numPages;
    const texts: string[] = [];
    let length = 0;
    for (let number = 1; number <= pageCount; number++) {
      const page = await pdf.getPage(number);
      // What unpdf's extractText does with page.getTextContent(), read chunk by chunk to stop at the limit.
      const reader = (page.streamTextContent() as ReadableStream<TextChunk>).getReader();
      let text = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const item of value.items) {
          if (item.str != null) text += item.hasEOL ? `${item.str}\n` : item.str;
        }
        if (length + text.length > options.maxTextLength) {
          await reader.cancel(new Error("over the text limit")).catch(() => undefined);
          throw new LimitExceededError(
            `its text is longer than the ${options.maxTextLength}-character limit on a PDF's text (reached on ` +
              `page ${number} of ${pageCount}); raise the maxFileSize option, which is also that limit, to read it`,
            "maxFileSize",
          );
        }
      }
      length += text.length;
      texts.push(text);
    }
    const labels = await pdf.getPageLabels().catch(() => null);
    return {
      pageCount,
      pages: texts.map((pageText, i) => ({
        number: i + 1,
        label: labels?.[i] || String(i + 1),
        text: pageText.trim(),
      })),
    };
  } catch (error) {
    if (error instanceof LimitExceededError) throw error;
    throw pdfError(error);
  } finally {
    await pdf.destroy().catch(() => undefined);
  }
}

function pdfError(error: unknown): Error {
  const name = error instanceof Error ? error.name : "";
  const message = messageOf(error);
  if (name === "PasswordException") {
    return new Error(`the PDF is encrypted with a password (${message})`, { cause: error });
  }
  return new Error(`not a readable PDF file: ${message}`, { cause: error });
}
