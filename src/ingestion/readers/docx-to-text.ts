let mammothModule: Promise<typeof import("mammoth")> | undefined;

/**
 * The text of a Word `.docx` file (via `mammoth`'s `extractRawText`, imported on first use): paragraphs
 * separated by blank lines, without formatting, images or comments.
 *
 * @throws Error when the bytes are not a readable DOCX (not a zip, no `word/document.xml`).
 */
export async function docxToText(bytes: Uint8Array): Promise<string> {
  mammothModule ??= import("mammoth");
  // mammoth is CommonJS: Node exposes its exports as named exports too.
  const { extractRawText } = await mammothModule;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    const result = await extractRawText({ buffer });
    return result.value.replace(/\n{3,}/g, "\n\n").trim();
  } catch (error) {
    throw new Error(`not a readable DOCX file: ${error instanceof Error ? error.message : String(error)}`);
  }
}
