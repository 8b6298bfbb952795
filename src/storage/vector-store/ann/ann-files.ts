import { randomBytes, randomUUID } from "node:crypto";
import { type Stats, statSync } from "node:fs";
import { mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { crc32 } from "node:zlib";
import { StorageError } from "../../../errors/index.js";
import { messageOf } from "../../../errors/message-of.js";
import { nodeFileSystem } from "../../persist-fs.js";
import { type DecodedRows, decodeRows, encodeRows, intern, type RowColumns } from "./ann-rows.js";

/** The commit record of a persisted {@link AnnVectorStore}; written last. */
export const ANN_MANIFEST_FILE = "ann_store.json";
/** The format version this streamdex writes. It reads this one and version 1 (rows inside the manifest). */
export const ANN_FORMAT_VERSION = 2;

/** How an {@link AnnVectorStore} stores vectors in its index (usearch scalar kinds). */
export type AnnQuantization = "f32" | "bf16" | "f16" | "i8";

/** Index settings kept in the manifest (the usearch file does not store the expansion factors). */
export interface AnnConfig {
  dimensions: number | null;
  metric: "cosine" | "ip" | "l2";
  quantization: AnnQuantization;
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
}

/**
 * `ann_store.json` (format 2): settings, and the usearch index file and rows file of this generation (sizes and
 * the rows file's CRC-32 are checked on load). The rows (ids, source-document ids, metadata) are in the rows file,
 * in columns (see `ann-rows.ts`), so the manifest stays small at any size.
 */
export interface AnnManifest {
  format: "streamdex-ann";
  formatVersion: typeof ANN_FORMAT_VERSION;
  generation: string;
  /** The usearch index file (`null` for an empty store) and its size in bytes. */
  indexFile: string | null;
  indexSize: number;
  /** The rows file, its size in bytes and CRC-32, and how many rows it holds. */
  rowsFile: string;
  rowsSize: number;
  rowsCrc32: number;
  rows: number;
  config: AnnConfig;
  nextKey: number;
}

/** Format 1: the rows as JSON columns inside the manifest (row `i` = key `keys[i]`). Read, no longer written. */
interface AnnManifestV1 {
  format: "streamdex-ann";
  formatVersion: 1;
  indexFile: string | null;
  indexSize: number;
  config: AnnConfig;
  nextKey: number;
  keys: number[];
  ids: string[];
  refDocIds: string[];
  metadata: (Record<string, unknown> | null)[];
}

/** What a persist writes: settings, the rows, and a synchronous writer of the usearch index. */
export interface AnnSnapshot {
  config: AnnConfig;
  nextKey: number;
  rows: RowColumns;
  saveIndex: ((path: string) => void) | undefined;
}

/** A store read back: settings, rows, and the index file (checked to exist with the recorded size). */
export interface AnnFiles {
  config: AnnConfig;
  nextKey: number;
  rows: DecodedRows;
  indexPath: string | undefined;
  indexStat: Stats | undefined;
}

const locks = new Map<string, Promise<unknown>>();
/**
 * Writes a snapshot to `dir` crash-safely: the usearch index and the rows file each go to a temp file (fsynced)
 * and are renamed to `ann-<generation>.usearch` / `.rows`; then the manifest naming them is written to a temp
 * (fsynced) and renamed over `ann_store.json` (the commit), and older generations and temps are deleted. A crash at
 * any point leaves the previous store or the new one loadable. `snapshot` runs synchronously once `dir` exists, and
 * the index is saved in the same tick, so the files describe one state of the store. Persists to one directory are
 * serialised within a process; use one writer per directory. Returns the path of the index file written
 * (undefined for an empty store).
 */
export async function writeAnnFiles(dir: string, snapshot: () => AnnSnapshot): Promise<string | undefined> {
  const key = resolve(dir);
  const run = (locks.get(key) ?? Promise.resolve()).catch(() => {}).then(() => commit(dir, snapshot));
  locks.set(key, run);
  try {
    return await run;
  } finally {
    if (locks.get(key) === run) locks.delete(key);
  }
}

async function commit(dir: string, snapshot: () => AnnSnapshot): Promise<string | undefined> {
  const generation = randomUUID();
  const suffix = `.tmp-${process.pid}-${randomBytes(6).toString("hex")}`;
  const indexFile = `ann-${generation}.usearch`;
  const rowsFile = `ann-${generation}.rows`;
  const written: string[] = [];
  let indexPath: string | undefined;
  try {
    await mkdir(dir, { recursive: true });
    const { config, nextKey, rows, saveIndex } = snapshot();
    if (saveIndex !== undefined) {
      written.push(indexFile + suffix);
      saveIndex(join(dir, indexFile + suffix));
    }
    const encoded = encodeRows(rows);
    let indexSize = 0;
    if (saveIndex !== undefined) {
      indexSize = await fsyncFile(join(dir, indexFile + suffix));
      await rename(join(dir, indexFile + suffix), join(dir, indexFile));
      written.push(indexFile);
      indexPath = join(dir, indexFile);
    }
    written.push(rowsFile + suffix);
    await nodeFileSystem.writeFile(join(dir, rowsFile + suffix), encoded);
    await rename(join(dir, rowsFile + suffix), join(dir, rowsFile));
    written.push(rowsFile);
    const manifest: AnnManifest = {
      format: "streamdex-ann",
      formatVersion: ANN_FORMAT_VERSION,
      generation,
      indexFile: saveIndex === undefined ? null : indexFile,
      indexSize,
      rowsFile,
      rowsSize: encoded.length,
      rowsCrc32: crc32(encoded),
      rows: rows.ids.length,
      config,
      nextKey,
    };
    const stagedManifest = ANN_MANIFEST_FILE + suffix;
    written.push(stagedManifest);
    await nodeFileSystem.writeFile(join(dir, stagedManifest), Buffer.from(JSON.stringify(manifest)));
    await nodeFileSystem.syncDir(dir);
    await rename(join(dir, stagedManifest), join(dir, ANN_MANIFEST_FILE));
  } catch (error) {
    await Promise.all(written.map((name) => unlink(join(dir, name)).catch(() => {})));
    throw new StorageError(
      `could not persist the ANN store to ${dir} (the previous one, if any, is unchanged): ${messageOf(error)}`,
      { cause: error },
    );
  }
  await nodeFileSystem.syncDir(dir);
  const stale = (await readdir(dir).catch(() => [] as string[])).filter(
    (name) =>
      name !== indexFile &&
      name !== rowsFile &&
      ((name.startsWith("ann-") && (name.includes(".usearch") || name.includes(".rows"))) ||
        name.startsWith(`${ANN_MANIFEST_FILE}.tmp-`)),
  );
  await Promise.all(stale.map((name) => unlink(join(dir, name)).catch(() => {})));
  return indexPath;
}

/** Flushes a file to disk; returns its size. */
async function fsyncFile(path: string): Promise<number> {
  const handle = await open(path, "r+");
  try {
    await handle.sync();
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}

/**
 * Reads the store in `dir`: the manifest (format 2, or 1), the rows (checked: size, CRC-32, structure, counts) and
 * the path of the index file, checked to exist with the recorded size. Anything missing or damaged is a
 * {@link StorageError} saying what.
 */
export async function readAnnFiles(dir: string): Promise<AnnFiles> {
  let text: string;
  try {
    text = await readFile(join(dir, ANN_MANIFEST_FILE), "utf8");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new StorageError(
      missing
        ? `no ANN store in ${dir} (${ANN_MANIFEST_FILE} is missing): persist one there first.`
        : `cannot read ${join(dir, ANN_MANIFEST_FILE)}: ${messageOf(error)}`,
      { cause: error },
    );
  }
  const m = parseManifest(dir, text);
  const rows = m.formatVersion === 1 ? rowsOfV1(m) : await readRows(dir, m);
  if (m.indexFile === null)
    return { config: m.config, nextKey: m.nextKey, rows, indexPath: undefined, indexStat: undefined };
  const indexPath = join(dir, m.indexFile);
  const indexStat = await stat(indexPath).catch((error: unknown) => {
    throw corrupt(dir, `${m.indexFile} is missing`, error);
  });
  if (indexStat.size !== m.indexSize) {
    throw corrupt(dir, `${m.indexFile} holds ${indexStat.size} bytes, ${m.indexSize} expected`);
  }
  return { config: m.config, nextKey: m.nextKey, rows, indexPath, indexStat };
}

async function readRows(dir: string, m: AnnManifest): Promise<DecodedRows> {
  let buffer: Buffer;
  try {
    buffer = await readFile(join(dir, m.rowsFile));
  } catch (error) {
    throw corrupt(dir, `${m.rowsFile} cannot be read: ${messageOf(error)}`, error);
  }
  if (buffer.length !== m.rowsSize) {
    throw corrupt(dir, `${m.rowsFile} holds ${buffer.length} bytes, ${m.rowsSize} expected`);
  }
  if (crc32(buffer) !== m.rowsCrc32) throw corrupt(dir, `${m.rowsFile} fails its CRC-32 check`);
  return decodeRows(buffer, join(dir, m.rowsFile), m.rows);
}

/** Format 1's JSON columns as decoded rows (metadata back to JSON text, as format 2 keeps it). */
function rowsOfV1(m: AnnManifestV1): DecodedRows {
  const count = m.keys.length;
  const documents = new Map<string, number>();
  const texts = new Map<string, number>();
  const docIndex = new Uint32Array(count);
  const metaIndex = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    docIndex[i] = intern(documents, m.refDocIds[i]!, 0);
    const meta = m.metadata[i];
    if (meta !== null && meta !== undefined && Object.keys(meta).length > 0) {
      metaIndex[i] = intern(texts, JSON.stringify(meta), 1);
    }
  }
  return {
    count,
    keys: Float64Array.from(m.keys),
    ids: m.ids,
    documents: [...documents.keys()],
    docIndex,
    texts: [...texts.keys()],
    metaIndex,
  };
}

/** Whether the file at `path` is still the one `before` described (same inode, size and mtime). */
export function sameFile(path: string, before: Stats): boolean {
  try {
    const now = statSync(path);
    return (
      now.ino === before.ino &&
      now.dev === before.dev &&
      now.size === before.size &&
      now.mtimeMs === before.mtimeMs
    );
  } catch {
    return false;
  }
}

function corrupt(dir: string, detail: string, cause?: unknown): StorageError {
  return new StorageError(
    `the ANN store in ${dir} is corrupt (${detail}). Rebuild it and persist again.`,
    cause === undefined ? undefined : { cause },
  );
}

const INDEX_NAME = /^ann-[\w-]+\.usearch$/;
const ROWS_NAME = /^ann-[\w-]+\.rows$/;

/** Either format's fields, all unchecked. */
type LooseManifest = Partial<Omit<AnnManifest, "formatVersion">> &
  Partial<Omit<AnnManifestV1, "formatVersion">> & { formatVersion?: unknown };

function parseManifest(dir: string, text: string): AnnManifest | AnnManifestV1 {
  let m: LooseManifest;
  try {
    m = JSON.parse(text) as LooseManifest;
  } catch (error) {
    throw corrupt(dir, `${ANN_MANIFEST_FILE} is not valid JSON`, error);
  }
  if (m?.format !== "streamdex-ann")
    throw corrupt(dir, `${ANN_MANIFEST_FILE} is not a streamdex ANN manifest`);
  if (m.formatVersion !== ANN_FORMAT_VERSION && m.formatVersion !== 1) {
    throw new StorageError(
      `the ANN store in ${dir} has format version ${String(m.formatVersion)}; this streamdex reads versions 1 ` +
        `and ${ANN_FORMAT_VERSION}. Upgrade streamdex or rebuild the store.`,
    );
  }
  const common =
    typeof m.nextKey === "number" &&
    typeof m.config === "object" &&
    m.config !== null &&
    (m.indexFile === null || (typeof m.indexFile === "string" && INDEX_NAME.test(m.indexFile))) &&
    typeof m.indexSize === "number";
  if (m.formatVersion === 1) {
    const n = Array.isArray(m.keys) ? m.keys.length : -1;
    const columnsOk =
      n >= 0 && [m.ids, m.refDocIds, m.metadata].every((c) => Array.isArray(c) && c.length === n);
    if (!common || !columnsOk)
      throw corrupt(dir, `${ANN_MANIFEST_FILE} is missing fields or its columns differ in length`);
    return m as AnnManifestV1;
  }
  const rowsOk =
    typeof m.rowsFile === "string" &&
    ROWS_NAME.test(m.rowsFile) &&
    [m.rowsSize, m.rowsCrc32, m.rows].every((v) => typeof v === "number");
  if (!common || !rowsOk) throw corrupt(dir, `${ANN_MANIFEST_FILE} is missing fields`);
  return m as AnnManifest;
}
