/**
 * The rows file (`ann-<generation>.rows`) of a persisted {@link AnnVectorStore}: one row per stored vector (its
 * usearch key, node id, source-document id and metadata), in columns, so a million rows load in a few hundred
 * milliseconds instead of the seconds a JSON array of objects takes to parse.
 *
 * Layout (little-endian, written and read as typed arrays: every platform usearch ships binaries for is
 * little-endian; every section starts on a multiple of 8 bytes):
 * ```
 * header    8 B magic "SDXROWS\0", u32 version (1), u32 rows, u32 documents, u32 metadata texts, 8 B reserved (0)
 * keys      rows × u64              the usearch key of each row
 * doc       rows × u32              index of the row's source-document id in the documents table
 * meta      rows × u32              0: empty metadata; i > 0: the metadata is JSON text i - 1 of the metadata table
 * ids       string table (rows)     node ids
 * documents string table (documents) distinct source-document ids
 * metadata  string table (texts)    distinct metadata objects as JSON text
 * ```
 * A string table is `u32 encoding (1 UTF-8, 2 UTF-16LE), u32 byte length, count × u32 lengths in UTF-16 code
 * units`, then the strings concatenated in that encoding: decoding is one `toString` and a slice per string.
 * UTF-16LE is used only when a table contains surrogates, so ids that are not well-formed UTF-16 round-trip too.
 * Duplicate source-document ids and metadata texts are stored once (chunks of one document share both often).
 */
import { StorageError } from "../../../errors/index.js";

const MAGIC = "SDXROWS\0";
/** The version of the rows layout above. */
export const ROWS_VERSION = 1;
const HEADER = 32;
const UTF8 = 1;
const UTF16 = 2;

/** The rows of a store, one entry per row in each column (metadata as JSON text; `""` for empty metadata). */
export interface RowColumns {
  keys: ArrayLike<number>;
  ids: readonly string[];
  docIds: readonly string[];
  metadata: readonly string[];
}

/** Decoded rows: document ids and metadata texts as tables plus per-row indexes into them. */
export interface DecodedRows {
  count: number;
  keys: Float64Array;
  ids: string[];
  documents: string[];
  /** Per row: index into `documents`. */
  docIndex: Uint32Array;
  texts: string[];
  /** Per row: 0 for empty metadata, otherwise `texts[i - 1]`. */
  metaIndex: Uint32Array;
}

const align8 = (n: number) => (n + 7) & ~7;

/** Encodes the rows in the layout above. */
export function encodeRows(rows: RowColumns): Buffer {
  const count = rows.ids.length;
  const docTable = new Map<string, number>();
  const docIndex = new Uint32Array(count);
  const textTable = new Map<string, number>();
  const metaIndex = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    docIndex[i] = intern(docTable, rows.docIds[i]!, 0);
    const text = rows.metadata[i]!;
    if (text !== "") metaIndex[i] = intern(textTable, text, 1);
  }
  const tables = [rows.ids, [...docTable.keys()], [...textTable.keys()]].map(encodeTable);
  const header = Buffer.alloc(HEADER);
  header.write(MAGIC, 0, "latin1");
  header.writeUInt32LE(ROWS_VERSION, 8);
  header.writeUInt32LE(count, 12);
  header.writeUInt32LE(docTable.size, 16);
  header.writeUInt32LE(textTable.size, 20);
  const keys = new BigUint64Array(count);
  for (let i = 0; i < count; i++) keys[i] = BigInt(rows.keys[i]!);
  const parts: Uint8Array[] = [header, bytes(keys), padded(bytes(docIndex)), padded(bytes(metaIndex))];
  return Buffer.concat([...parts, ...tables]);
}

/** The number of `value` in `table` (numbered from `base` in insertion order), added if new. */
export function intern(table: Map<string, number>, value: string, base: number): number {
  let n = table.get(value);
  if (n === undefined) {
    n = table.size + base;
    table.set(value, n);
  }
  return n;
}

const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const padded = (a: Uint8Array) =>
  a.length % 8 === 0 ? a : Buffer.concat([a, Buffer.alloc(align8(a.length) - a.length)]);

function encodeTable(strings: readonly string[]): Uint8Array {
  const joined = strings.join("");
  const encoding = /[\uD800-\uDFFF]/.test(joined) ? UTF16 : UTF8;
  const data = Buffer.from(joined, encoding === UTF8 ? "utf8" : "utf16le");
  const head = new Uint32Array(2 + strings.length);
  head[0] = encoding;
  head[1] = data.length;
  for (let i = 0; i < strings.length; i++) head[2 + i] = strings[i]!.length;
  return padded(Buffer.concat([bytes(head), data]));
}

/**
 * Decodes a rows file, checking its structure (a truncated or damaged file, or one whose counts differ from
 * `expectedRows`, is a {@link StorageError} naming `file`).
 */
export function decodeRows(buffer: Buffer, file: string, expectedRows: number): DecodedRows {
  const fail = (detail: string) =>
    new StorageError(`${file} is corrupt (${detail}). Rebuild the ANN store and persist it again.`);
  if (buffer.length < HEADER || buffer.toString("latin1", 0, 8) !== MAGIC)
    throw fail("not a streamdex rows file");
  const version = buffer.readUInt32LE(8);
  if (version !== ROWS_VERSION) throw fail(`rows layout version ${version}, expected ${ROWS_VERSION}`);
  const count = buffer.readUInt32LE(12);
  const docCount = buffer.readUInt32LE(16);
  const textCount = buffer.readUInt32LE(20);
  if (count !== expectedRows) throw fail(`it holds ${count} rows, the manifest lists ${expectedRows}`);
  let offset = HEADER;
  /** The next `length` bytes; `pad` then skips to the next multiple of 8. */
  const take = (length: number, pad = true): Buffer => {
    if (offset + length > buffer.length)
      throw fail(`it ends at byte ${buffer.length}, before its last section`);
    const part = buffer.subarray(offset, offset + length);
    offset = pad ? align8(offset + length) : offset + length;
    return part;
  };
  const big = copyAligned(take(count * 8), 8);
  const wide = new BigUint64Array(big.buffer, big.byteOffset, count);
  const keys = new Float64Array(count);
  for (let i = 0; i < count; i++) keys[i] = Number(wide[i]!);
  const docIndex = u32(take(count * 4), count);
  const metaIndex = u32(take(count * 4), count);
  const table = (n: number, what: string): string[] => {
    const head = u32(take(8 + n * 4, false), 2 + n);
    if (head[0] !== UTF8 && head[0] !== UTF16) throw fail(`the ${what} table has an unknown encoding`);
    const joined = take(head[1]!).toString(head[0] === UTF8 ? "utf8" : "utf16le");
    const strings = new Array<string>(n);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const end = at + head[2 + i]!;
      strings[i] = joined.slice(at, end);
      at = end;
    }
    if (at !== joined.length) throw fail(`the ${what} table's lengths do not add up`);
    return strings;
  };
  const ids = table(count, "id");
  const documents = table(docCount, "document");
  const texts = table(textCount, "metadata");
  if (offset !== buffer.length)
    throw fail(`${buffer.length - offset} unexpected bytes after its last section`);
  for (let i = 0; i < count; i++) {
    if (docIndex[i]! >= docCount || metaIndex[i]! > textCount) throw fail(`row ${i} points past a table`);
  }
  return { count, keys, ids, documents, docIndex, texts, metaIndex };
}

/** `part` itself when its offset is a multiple of `alignment`, else an aligned copy. */
function copyAligned(part: Buffer, alignment: number): Uint8Array {
  return part.byteOffset % alignment === 0 ? part : new Uint8Array(part);
}

function u32(part: Buffer, n: number): Uint32Array {
  const aligned = copyAligned(part, 4);
  return new Uint32Array(aligned.buffer, aligned.byteOffset, n);
}
