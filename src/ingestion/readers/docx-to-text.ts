import { formatBytes, LimitExceededError } from "./limits.js";
import { readZipDirectory, readZipEntry } from "./zip-directory.js";

let mammothModule: Promise<typeof import("mammoth")> | undefined;

/** Conversions run one at a time: mammoth holds ~100 times the XML it parses in memory while it converts. */
let queue: Promise<unknown> = Promise.resolve();

/** The zip interface mammoth reads a DOCX through (what its own JSZip wrapper returns). */
export interface DocxZip {
  exists(name: string): boolean;
  read(name: string, encoding?: string): Promise<Uint8Array | string>;
}

/**
 * The text of a Word `.docx` file (via `mammoth`'s `extractRawText`, imported on first use): paragraphs
 * separated by blank lines, without formatting, images or comments. Conversions run one at a time.
 *
 * A DOCX is a zip: a small file can unpack to gigabytes of XML, and mammoth holds about a hundred times the XML it
 * parses in memory. So mammoth reads the file through {@link openDocxZip}, which refuses, before unpacking it, a
 * part that would take the parts read to more than `maxUncompressedSize` bytes.
 *
 * @throws LimitExceededError when the parts mammoth reads unpack to more than `maxUncompressedSize` bytes.
 * @throws Error when the bytes are not a readable DOCX (not a zip, no `word/document.xml`).
 */
export function docxToText(bytes: Uint8Array, options: { maxUncompressedSize: number }): Promise<string> {
  const run = queue.then(() => convert(bytes, options.maxUncompressedSize));
  queue = run.catch(() => undefined);
  return run;
}

async function convert(bytes: Uint8Array, maxUncompressedSize: number): Promise<string> {
  mammothModule ??= import("mammoth");
  // mammoth is CommonJS: Node exposes its exports as named exports too.
  const { extractRawText } = await mammothModule;
  try {
    const file = openDocxZip(bytes, maxUncompressedSize);
    // `file` is mammoth's input for an already opened zip (lib/unzip.js), beside `path` and `buffer`; its types
    // leave it out.
    const result = await extractRawText({ file } as unknown as Parameters<typeof extractRawText>[0]);
    return result.value.replace(/\n{3,}/g, "\n\n").trim();
  } catch (error) {
    if (error instanceof LimitExceededError) throw error;
    throw new Error(`not a readable DOCX file: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/**
 * A DOCX's zip for mammoth, which unpacks only what is read and at most `maxUncompressedSize` bytes in all: each
 * part's size is checked against what is left, from the zip's central directory, before anything of it is
 * unpacked; and a part whose directory understates its size stops unpacking at the size declared (a corrupt file).
 *
 * @throws Error when `bytes` is not a zip.
 */
export function openDocxZip(bytes: Uint8Array, maxUncompressedSize: number): DocxZip {
  const entries = new Map(readZipDirectory(bytes).map((entry) => [entry.name, entry]));
  let unpacked = 0;
  return {
    exists: (name) => entries.has(name),
    read: async (name, encoding) => {
      const entry = entries.get(name);
      if (entry === undefined) throw new Error(`the zip has no ${name}`);
      const total = unpacked + entry.uncompressedSize;
      if (total > maxUncompressedSize) {
        throw new LimitExceededError(
          `it unpacks to at least ${formatBytes(total)} (${total} bytes; ${name} alone is ` +
            `${formatBytes(entry.uncompressedSize)}), over the ${formatBytes(maxUncompressedSize)} limit on what a ` +
            "DOCX may unpack to; raise the maxUncompressedSize option (in bytes) to read it",
          "maxUncompressedSize",
        );
      }
      const data = readZipEntry(bytes, entry);
      unpacked = total;
      if (encoding === "base64")
        return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
      return encoding ? new TextDecoder(encoding).decode(data) : data;
    },
  };
}
