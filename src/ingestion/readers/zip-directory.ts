/**
 * Zip archives (a DOCX) read with `yauzl`, imported on first use: the sizes come from the central directory, so
 * they cost nothing to learn however much the entries would unpack to, and entries are unpacked with
 * `validateEntrySizes`, which stops an entry as soon as it unpacks to more than its directory declares (a zip bomb
 * that lies about its sizes, in its local headers or its directory). Bytes prepended to the archive (a
 * self-extracting stub) are not read: yauzl takes the directory's offsets as they are, as the zip spec does.
 */
import type { Entry, ZipFile } from "yauzl";
import { messageOf } from "../../errors/message-of.js";

let yauzlModule: Promise<typeof import("yauzl")> | undefined;

/** The most entries a zip is read with (a DOCX has tens of parts); more is refused before any is listed. */
export const MAX_ZIP_ENTRIES = 10_000;

/** One file of a zip archive, as its central directory describes it. */
export interface ZipEntry {
  name: string;
  compressedSize: number;
  /** The size the entry declares it unpacks to. Nothing is unpacked to learn it. */
  uncompressedSize: number;
}

/** A zip's files (directories left out), and a way to unpack each. */
export interface ZipDirectory {
  entries: ZipEntry[];
  /**
   * The unpacked bytes of `entry`, never more than its declared size.
   *
   * @throws Error when the entry is encrypted, uses another method than stored or deflated, is corrupt, or unpacks
   *   to another size than it declares.
   */
  read(entry: ZipEntry): Promise<Uint8Array>;
}

/**
 * The entries of a zip archive, read from its central directory only (ZIP64 included); nothing is unpacked.
 *
 * @throws Error when `bytes` is not a zip archive, is cut short, or lists more than `maxEntries` entries.
 */
export async function readZipDirectory(
  bytes: Uint8Array,
  maxEntries = MAX_ZIP_ENTRIES,
): Promise<ZipDirectory> {
  yauzlModule ??= import("yauzl");
  const { fromBufferPromise } = await yauzlModule;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let zip: ZipFile;
  try {
    zip = await fromBufferPromise(buffer, {
      autoClose: false,
      validateEntrySizes: true,
      decodeStrings: true,
    });
  } catch (error) {
    throw notAZip(error);
  }
  if (zip.entryCount > maxEntries) {
    throw new Error(`the zip lists ${zip.entryCount} entries, more than the ${maxEntries} it is read with`);
  }
  const raw = new Map<ZipEntry, Entry>();
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith("/")) continue;
      const { fileName: name, compressedSize, uncompressedSize } = entry;
      raw.set({ name, compressedSize, uncompressedSize }, entry);
    }
  } catch (error) {
    throw notAZip(error);
  }
  return { entries: [...raw.keys()], read: (entry) => readEntry(zip, entry, raw.get(entry)) };
}

async function readEntry(zip: ZipFile, entry: ZipEntry, raw: Entry | undefined): Promise<Uint8Array> {
  if (raw === undefined) throw new Error(`${entry.name} is not an entry of this zip`);
  if (raw.isEncrypted()) throw new Error(`${entry.name} is encrypted`);
  if (!raw.canDecodeFileData()) {
    throw new Error(
      `${entry.name} uses zip compression method ${raw.compressionMethod}, which is not supported`,
    );
  }
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of await zip.openReadStreamPromise(raw)) chunks.push(chunk as Buffer);
  } catch (error) {
    const message = messageOf(error);
    // yauzl's validateEntrySizes errors: "too many bytes in the stream. expected N. got at least M", and
    // "not enough bytes in the stream. expected N. got only M".
    const size =
      /^(too many|not enough) bytes in the stream\. expected (\d+)\. got (?:at least|only) (\d+)/.exec(
        message,
      );
    if (size?.[1] === "too many") {
      throw new Error(`${entry.name} unpacks to more than the ${size[2]} bytes the zip's directory declares`);
    }
    if (size) {
      throw new Error(
        `${entry.name} unpacks to ${size[3]} bytes, not the ${size[2]} the zip's directory declares`,
      );
    }
    throw new Error(`${entry.name} cannot be unpacked (${message})`, { cause: error });
  }
  return Buffer.concat(chunks);
}

function notAZip(error: unknown): Error {
  const message = messageOf(error);
  return new Error(`not a zip file, or one cut short or corrupt (${message})`, { cause: error });
}
