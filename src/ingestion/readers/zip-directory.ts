import { constants } from "node:buffer";
import { inflateRawSync } from "node:zlib";

/** One file of a zip archive, as its central directory describes it. */
export interface ZipEntry {
  name: string;
  /** 0: stored, 8: deflated (the only two methods DOCX writers use). */
  method: number;
  /** Bit 0: encrypted. */
  flags: number;
  compressedSize: number;
  /** The size the entry declares it unpacks to. Nothing is unpacked to learn it. */
  uncompressedSize: number;
  /** Where the entry's local header starts in the archive. */
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;

/**
 * The entries of a zip archive, read from its central directory only: no entry is unpacked, so the declared sizes
 * cost nothing to learn however much the entries would unpack to. Handles ZIP64 and bytes prepended to the
 * archive (offsets are shifted as JSZip and Info-ZIP do). Directories are left out.
 *
 * @throws Error when `bytes` is not a zip archive or its directory is cut short.
 */
export function readZipDirectory(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndOfCentralDirectory(view);
  let count = view.getUint16(eocd + 10, true);
  let size = view.getUint32(eocd + 12, true);
  let offset = view.getUint32(eocd + 16, true);
  // Where the central directory ends: at the ZIP64 record, if any, else at the end record.
  let end = eocd;
  const locator = eocd - 20;
  if (locator >= 0 && view.getUint32(locator, true) === ZIP64_LOCATOR_SIGNATURE) {
    const record = u64(view, locator + 8);
    if (record + 56 > view.byteLength || view.getUint32(record, true) !== ZIP64_EOCD_SIGNATURE) {
      throw new Error("not a zip file (its ZIP64 end record is missing)");
    }
    count = u64(view, record + 32);
    size = u64(view, record + 40);
    offset = u64(view, record + 48);
    end = record;
  }
  // Bytes before the archive (a self-extracting stub) shift every offset it records.
  const shift = end - (offset + size);
  if (shift < 0) throw new Error("not a zip file (its central directory lies past its end record)");
  const entries: ZipEntry[] = [];
  let at = offset + shift;
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || view.getUint32(at, true) !== CENTRAL_SIGNATURE) {
      throw new Error("the zip's central directory is cut short or corrupt");
    }
    const flags = view.getUint16(at + 8, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const nameStart = at + 46;
    const extraStart = nameStart + nameLength;
    const next = extraStart + extraLength + commentLength;
    if (next > end) throw new Error("the zip's central directory is cut short or corrupt");
    // UTF-8 whatever bit 11 says, as JSZip (mammoth's zip reader) decodes names.
    const name = new TextDecoder().decode(bytes.subarray(nameStart, extraStart));
    const entry: ZipEntry = {
      name,
      method: view.getUint16(at + 10, true),
      flags,
      compressedSize: view.getUint32(at + 20, true),
      uncompressedSize: view.getUint32(at + 24, true),
      localHeaderOffset: view.getUint32(at + 42, true),
    };
    applyZip64Extra(view, extraStart, extraLength, entry);
    entry.localHeaderOffset += shift;
    if (!name.endsWith("/")) entries.push(entry);
    at = next;
  }
  return entries;
}

/**
 * The unpacked bytes of `entry`, never more than its declared size: an entry that unpacks to more (a directory
 * that lies about it) throws as soon as the excess appears, so unpacking costs at most the declared size.
 *
 * @throws Error when the entry is encrypted, uses another method than stored or deflated, is corrupt, or unpacks to
 *   another size than it declares.
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  if (entry.flags & 1) throw new Error(`${entry.name} is encrypted`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = entry.localHeaderOffset;
  if (header + 30 > bytes.byteLength || view.getUint32(header, true) !== LOCAL_SIGNATURE) {
    throw new Error(`the zip's local header of ${entry.name} is missing`);
  }
  const start = header + 30 + view.getUint16(header + 26, true) + view.getUint16(header + 28, true);
  if (start + entry.compressedSize > bytes.byteLength) throw new Error(`${entry.name} is cut short`);
  const data = bytes.subarray(start, start + entry.compressedSize);
  let unpacked: Uint8Array;
  if (entry.method === 0) {
    unpacked = data;
  } else if (entry.method === 8) {
    try {
      unpacked = inflateRawSync(data, {
        maxOutputLength: Math.max(1, Math.min(entry.uncompressedSize, constants.MAX_LENGTH)),
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
        throw new Error(
          `${entry.name} unpacks to more than the ${entry.uncompressedSize} bytes the zip's directory declares`,
        );
      }
      throw new Error(`${entry.name} cannot be unpacked (${(error as Error).message})`, { cause: error });
    }
  } else {
    throw new Error(`${entry.name} uses zip compression method ${entry.method}, which is not supported`);
  }
  if (unpacked.byteLength !== entry.uncompressedSize) {
    throw new Error(
      `${entry.name} unpacks to ${unpacked.byteLength} bytes, not the ${entry.uncompressedSize} the zip's directory declares`,
    );
  }
  return unpacked;
}

/** The end of central directory record: the last one, searched backwards past a comment of up to 64 KiB. */
function findEndOfCentralDirectory(view: DataView): number {
  const last = view.byteLength - 22;
  for (let at = last; at >= 0 && at >= last - MAX_U16; at--) {
    if (view.getUint32(at, true) === EOCD_SIGNATURE) return at;
  }
  throw new Error("not a zip file (no end of central directory record)");
}

/** The 64-bit sizes and offset of the ZIP64 extra field, for the fields the central header sets to all ones. */
function applyZip64Extra(view: DataView, start: number, length: number, entry: ZipEntry): void {
  for (let at = start; at + 4 <= start + length; ) {
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    let field = at + 4;
    const fieldEnd = field + size;
    if (id === 0x0001 && fieldEnd <= start + length) {
      if (entry.uncompressedSize === MAX_U32 && field + 8 <= fieldEnd) {
        entry.uncompressedSize = u64(view, field);
        field += 8;
      }
      if (entry.compressedSize === MAX_U32 && field + 8 <= fieldEnd) {
        entry.compressedSize = u64(view, field);
        field += 8;
      }
      if (entry.localHeaderOffset === MAX_U32 && field + 8 <= fieldEnd) {
        entry.localHeaderOffset = u64(view, field);
      }
      return;
    }
    at = fieldEnd;
  }
}

/** An unsigned 64-bit field as a number (exact up to 2^53, which no real archive reaches). */
function u64(view: DataView, at: number): number {
  if (at + 8 > view.byteLength) throw new Error("the zip's directory is cut short");
  return Number(view.getBigUint64(at, true));
}
