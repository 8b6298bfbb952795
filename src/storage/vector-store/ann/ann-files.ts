import { randomBytes, randomUUID } from "node:crypto";
import { type Stats, statSync } from "node:fs";
import { mkdir, open, readdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { StorageError } from "../../../errors/index.js";
import { nodeFileSystem } from "../../persist-fs.js";

/** The commit record of a persisted {@link AnnVectorStore}; written last. */
export const ANN_MANIFEST_FILE = "ann_store.json";
/** The format version this streamdex writes and reads. */
export const ANN_FORMAT_VERSION = 1;

/** Index settings kept in the manifest (the usearch file does not store the expansion factors). */
export interface AnnConfig {
  dimensions: number | null;
  metric: "cosine" | "ip" | "l2";
  quantization: "f32" | "f16" | "i8";
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
}

/** `ann_store.json`: settings, the usearch file it belongs to, and one column per node field (row `i` = key `keys[i]`). */
export interface AnnManifest {
  format: "streamdex-ann";
  formatVersion: typeof ANN_FORMAT_VERSION;
  generation: string;
  /** The usearch index file (`null` for an empty store) and its size in bytes. */
  indexFile: string | null;
  indexSize: number;
  config: AnnConfig;
  nextKey: number;
  keys: number[];
  ids: string[];
  refDocIds: string[];
  /** `null` for empty metadata. */
  metadata: (Record<string, unknown> | null)[];
}

/** What a persist writes: the manifest (without file fields) and a synchronous writer of the usearch index. */
export interface AnnSnapshot {
  manifest: Omit<AnnManifest, "generation" | "indexFile" | "indexSize">;
  saveIndex: ((path: string) => void) | undefined;
}

const locks = new Map<string, Promise<unknown>>();
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Writes a snapshot to `dir` crash-safely: the usearch index goes to a temp file (fsynced), is renamed to a fresh
 * `ann-<generation>.usearch`, then the manifest naming it is written to a temp (fsynced) and renamed over
 * `ann_store.json` (the commit), and older generations and temps are deleted. A crash at any point leaves the
 * previous store or the new one loadable. `snapshot` runs synchronously once `dir` exists, so the files describe
 * one state of the store. Persists to one directory are serialised within a process; use one writer per directory.
 * Returns the path of the index file written (undefined for an empty store).
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
  const written: string[] = [];
  let indexPath: string | undefined;
  try {
    await mkdir(dir, { recursive: true });
    const { manifest, saveIndex } = snapshot();
    let indexSize = 0;
    if (saveIndex !== undefined) {
      written.push(indexFile + suffix);
      saveIndex(join(dir, indexFile + suffix));
      indexSize = await fsyncFile(join(dir, indexFile + suffix));
      await rename(join(dir, indexFile + suffix), join(dir, indexFile));
      written.push(indexFile);
      indexPath = join(dir, indexFile);
    }
    const full: AnnManifest = {
      ...manifest,
      generation,
      indexFile: saveIndex === undefined ? null : indexFile,
      indexSize,
    };
    const stagedManifest = ANN_MANIFEST_FILE + suffix;
    written.push(stagedManifest);
    await writeFile(join(dir, stagedManifest), JSON.stringify(full), { flag: "wx" });
    await fsyncFile(join(dir, stagedManifest));
    await nodeFileSystem.syncDir(dir);
    await rename(join(dir, stagedManifest), join(dir, ANN_MANIFEST_FILE));
  } catch (error) {
    await Promise.all(written.map((name) => unlink(join(dir, name)).catch(() => {})));
    throw new StorageError(
      `could not persist the ANN store to ${dir} (the previous one, if any, is unchanged): ${message(error)}`,
      { cause: error },
    );
  }
  await nodeFileSystem.syncDir(dir);
  const stale = (await readdir(dir).catch(() => [] as string[])).filter(
    (name) =>
      name !== indexFile &&
      ((name.startsWith("ann-") && name.includes(".usearch")) ||
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

/** The manifest in `dir` (validated) and the path of its index file, checked to exist with the recorded size. */
export async function readAnnFiles(
  dir: string,
): Promise<{ manifest: AnnManifest; indexPath: string | undefined; indexStat: Stats | undefined }> {
  let text: string;
  try {
    text = await readFile(join(dir, ANN_MANIFEST_FILE), "utf8");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new StorageError(
      missing
        ? `no ANN store in ${dir} (${ANN_MANIFEST_FILE} is missing): persist one there first.`
        : `cannot read ${join(dir, ANN_MANIFEST_FILE)}: ${message(error)}`,
      { cause: error },
    );
  }
  const manifest = parseManifest(dir, text);
  if (manifest.indexFile === null) return { manifest, indexPath: undefined, indexStat: undefined };
  const indexPath = join(dir, manifest.indexFile);
  const indexStat = await stat(indexPath).catch((error: unknown) => {
    throw corrupt(dir, `${manifest.indexFile} is missing`, error);
  });
  if (indexStat.size !== manifest.indexSize) {
    throw corrupt(dir, `${manifest.indexFile} holds ${indexStat.size} bytes, ${manifest.indexSize} expected`);
  }
  return { manifest, indexPath, indexStat };
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

function parseManifest(dir: string, text: string): AnnManifest {
  let m: Partial<AnnManifest>;
  try {
    m = JSON.parse(text) as Partial<AnnManifest>;
  } catch (error) {
    throw corrupt(dir, `${ANN_MANIFEST_FILE} is not valid JSON`, error);
  }
  if (m?.format !== "streamdex-ann")
    throw corrupt(dir, `${ANN_MANIFEST_FILE} is not a streamdex ANN manifest`);
  if (m.formatVersion !== ANN_FORMAT_VERSION) {
    throw new StorageError(
      `the ANN store in ${dir} has format version ${String(m.formatVersion)}; this streamdex reads version ` +
        `${ANN_FORMAT_VERSION}. Upgrade streamdex or rebuild the store.`,
    );
  }
  const n = Array.isArray(m.keys) ? m.keys.length : -1;
  const columnsOk =
    n >= 0 &&
    [m.ids, m.refDocIds, m.metadata].every((c) => Array.isArray(c) && c.length === n) &&
    typeof m.nextKey === "number" &&
    typeof m.config === "object" &&
    m.config !== null &&
    (m.indexFile === null ||
      (typeof m.indexFile === "string" && /^ann-[\w-]+\.usearch$/.test(m.indexFile))) &&
    typeof m.indexSize === "number";
  if (!columnsOk)
    throw corrupt(dir, `${ANN_MANIFEST_FILE} is missing fields or its columns differ in length`);
  return m as AnnManifest;
}
