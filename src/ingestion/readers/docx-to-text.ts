import { messageOf } from "../../errors/message-of.js";
import { formatBytes, LimitExceededError } from "./limits.js";
import { readZipDirectory } from "./zip-directory.js";

let mammothModule: Promise<typeof import("mammoth")> | undefined;
const importJsZip = () => import("jszip");
let jszipModule: ReturnType<typeof importJsZip> | undefined;

/** Conversions run one at a time: mammoth holds ~100 times the XML it parses in memory while it converts. */
let queue: Promise<unknown> = Promise.resolve();

/** The parts mammoth parses for text: XML parts and their relationships (images and other media are never read). */
const TEXT_PART = /\.(xml|rels)$/i;

/**
 * The text of a Word `.docx` file (via `mammoth`'s `extractRawText`, imported on first use): paragraphs
 * separated by blank lines, without formatting, images or comments. Conversions run one at a time.
 *
 * A DOCX is a zip: a small file can unpack to gigabytes of XML, and mammoth holds about a hundred times the XML it
 * parses in memory. So its XML parts are unpacked first, by {@link readDocxParts}, within `maxUncompressedSize`,
 * and mammoth reads a zip of those parts alone (its documented `{ buffer }` input): it can read nothing that was
 * not counted.
 *
 * @throws LimitExceededError when the XML parts unpack to more than `maxUncompressedSize` bytes.
 * @throws Error when the bytes are not a readable DOCX (not a zip, no `word/document.xml`).
 */
export function docxToText(bytes: Uint8Array, options: { maxUncompressedSize: number }): Promise<string> {
  const run = queue.then(() => convert(bytes, options.maxUncompressedSize));
  queue = run.catch(() => undefined);
  return run;
}

async function convert(bytes: Uint8Array, maxUncompressedSize: number): Promise<string> {
  mammothModule ??= import("mammoth");
  jszipModule ??= importJsZip();
  // mammoth is CommonJS: Node exposes its exports as named exports too.
  const [{ extractRawText }, { default: JSZip }] = await Promise.all([mammothModule, jszipModule]);
  try {
    const parts = await readDocxParts(bytes, maxUncompressedSize);
    const zip = new JSZip();
    for (const [name, data] of parts) zip.file(name, data);
    const buffer = await zip.generateAsync({ type: "nodebuffer", compression: "STORE" });
    const result = await extractRawText({ buffer });
    return result.value.replace(/\n{3,}/g, "\n\n").trim();
  } catch (error) {
    if (error instanceof LimitExceededError) throw error;
    throw new Error(`not a readable DOCX file: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

/**
 * A DOCX's XML parts (`.xml`, `.rels`), unpacked, at most `maxUncompressedSize` bytes in all: the sizes the zip's
 * central directory declares are added up, and the part that takes the sum over the limit refused, before anything
 * is unpacked; a part whose directory understates its size stops unpacking at the size declared (a corrupt file).
 *
 * @throws LimitExceededError when the parts would unpack to more than `maxUncompressedSize` bytes.
 * @throws Error when `bytes` is not a zip, or a part cannot be unpacked to the size it declares.
 */
export async function readDocxParts(
  bytes: Uint8Array,
  maxUncompressedSize: number,
): Promise<Map<string, Uint8Array>> {
  const zip = await readZipDirectory(bytes);
  const entries = zip.entries.filter((entry) => TEXT_PART.test(entry.name));
  let total = 0;
  for (const { name, uncompressedSize } of entries) {
    total += uncompressedSize;
    if (total > maxUncompressedSize) {
      throw new LimitExceededError(
        `it unpacks to at least ${formatBytes(total)} (${total} bytes; ${name} alone is ` +
          `${formatBytes(uncompressedSize)}), over the ${formatBytes(maxUncompressedSize)} limit on what a ` +
          "DOCX may unpack to; raise the maxUncompressedSize option (in bytes) to read it",
        "maxUncompressedSize",
      );
    }
  }
  const parts = new Map<string, Uint8Array>();
  for (const entry of entries) parts.set(entry.name, await zip.read(entry));
  return parts;
}
