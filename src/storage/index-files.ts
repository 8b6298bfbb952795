import { constants } from "node:buffer";
import { randomBytes, randomUUID } from "node:crypto";
import { open, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { crc32 } from "node:zlib";
import { StorageError } from "../errors/index.js";
import { messageOf } from "../errors/message-of.js";
import { nodeFileSystem, type PersistFileSystem } from "./persist-fs.js";

/** The manifest's file name. It is written last: an index exists once it does, and it names a complete set. */
export const MANIFEST_FILE = "index_store.json";

/** Size and CRC-32 of one data file, and the temporary name it was staged under. */
export interface IndexFileEntry {
  size: number;
  crc32: number;
  /** The file's name before its final rename; loads fall back to it after a crash between commit and rename. */
  staged: string;
}

/** `index_store.json`: the commit record of a persisted index. */
export interface IndexManifest {
  format: "streamdex-index";
  formatVersion: 1;
  /** A fresh id per persist. */
  generation: string;
  files: Record<string, IndexFileEntry>;
}

/** One file to persist. */
export interface IndexFile {
  name: string;
  data: Uint8Array;
}

const locks = new Map<string, Promise<unknown>>();

/**
 * Writes `files` and the manifest to `dir` so that a crash or an error at any point leaves either the previous
 * index or the new one loadable:
 *
 * 1. every file is written to `<name>.tmp-<pid>-<random>` in `dir` and fsynced (a failure here deletes the temps:
 *    the previous index is untouched);
 * 2. `assertUnchanged` runs before every write and once more after them (it throws to abort, e.g. when the data
 *    changed while it was being written);
 * 3. the manifest, listing each file's size, CRC-32 and temp name, is written the same way, then renamed to
 *    `index_store.json` and the directory fsynced: this is the commit;
 * 4. the temps are renamed to their final names. Until that is done, loads use a temp whose final file does not
 *    match the manifest, so a crash here loses nothing;
 * 5. temps left by earlier interrupted persists are deleted.
 *
 * One writer per directory at a time (persists in one process are serialised).
 */
export async function writeIndexFiles(
  dir: string,
  files: IndexFile[],
  options: { fs?: PersistFileSystem; assertUnchanged?: () => void } = {},
): Promise<void> {
  // Checksums are taken now, synchronously, so they describe exactly the data handed in.
  const entries = files.map((file) => ({ ...file, size: file.data.byteLength, crc32: crc32(file.data) }));
  const key = resolve(dir);
  const previous = locks.get(key) ?? Promise.resolve();
  const run = previous
    .catch(() => {})
    .then(() => commit(dir, entries, options.fs ?? nodeFileSystem, options.assertUnchanged));
  locks.set(key, run);
  try {
    await run;
  } finally {
    if (locks.get(key) === run) locks.delete(key);
  }
}

async function commit(
  dir: string,
  files: Array<IndexFile & { size: number; crc32: number }>,
  fs: PersistFileSystem,
  assertUnchanged: (() => void) | undefined,
): Promise<void> {
  const suffix = `.tmp-${process.pid}-${randomBytes(6).toString("hex")}`;
  const written: string[] = [];
  const manifest: IndexManifest = {
    format: "streamdex-index",
    formatVersion: 1,
    generation: randomUUID(),
    files: {},
  };
  try {
    await fs.mkdir(dir);
    for (const file of files) {
      assertUnchanged?.();
      const staged = file.name + suffix;
      written.push(staged);
      await fs.writeFile(join(dir, staged), file.data);
      manifest.files[file.name] = { size: file.size, crc32: file.crc32, staged };
    }
    assertUnchanged?.();
    const stagedManifest = MANIFEST_FILE + suffix;
    written.push(stagedManifest);
    await fs.writeFile(
      join(dir, stagedManifest),
      new TextEncoder().encode(JSON.stringify(manifest, null, 2)),
    );
    await fs.rename(join(dir, stagedManifest), join(dir, MANIFEST_FILE));
  } catch (error) {
    await Promise.all(written.map((name) => fs.unlink(join(dir, name)).catch(() => {})));
    if (error instanceof StorageError) throw error;
    throw new StorageError(
      `could not persist the index to ${dir} (the previous index, if any, is unchanged): ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
  try {
    await fs.syncDir(dir);
    for (const file of files) await fs.rename(join(dir, file.name + suffix), join(dir, file.name));
    await fs.syncDir(dir);
    const stale = (await fs.readdir(dir)).filter((name) =>
      isTempOf(name, [...files.map((f) => f.name), MANIFEST_FILE]),
    );
    await Promise.all(stale.map((name) => fs.unlink(join(dir, name)).catch(() => {})));
  } catch (error) {
    throw new StorageError(
      `the index in ${dir} was saved, but finishing up failed (it still loads, from its temporary files): ${messageOf(error)}`,
      { cause: error },
    );
  }
}

const isTempOf = (name: string, finals: string[]): boolean =>
  finals.some((final) => name.startsWith(`${final}.tmp-`));

/** The error for an index whose files do not match its manifest. */
export function corruptIndex(dir: string, detail: string, cause?: unknown): StorageError {
  return new StorageError(
    `the index in ${dir} is corrupt (${detail}). Re-ingest the documents and persist again.`,
    cause === undefined ? undefined : { cause },
  );
}

/** The manifest of the index in `dir`, or `undefined` when there is none. Throws when it is unreadable. */
export async function readIndexManifest(dir: string): Promise<IndexManifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new StorageError(`cannot read ${join(dir, MANIFEST_FILE)}: ${messageOf(error)}`, { cause: error });
  }
  let manifest: Partial<IndexManifest>;
  try {
    manifest = JSON.parse(text) as Partial<IndexManifest>;
  } catch (error) {
    throw corruptIndex(dir, `${MANIFEST_FILE} is not valid JSON`, error);
  }
  if (
    manifest?.format !== "streamdex-index" ||
    typeof manifest.files !== "object" ||
    manifest.files === null ||
    Array.isArray(manifest.files)
  ) {
    throw corruptIndex(dir, `${MANIFEST_FILE} is not a streamdex index manifest`);
  }
  if (manifest.formatVersion !== 1) {
    throw new StorageError(
      `the index in ${dir} has format version ${String(manifest.formatVersion)}; this streamdex reads version 1. ` +
        "Upgrade streamdex or re-ingest.",
    );
  }
  return manifest as IndexManifest;
}

/**
 * Reads the data file `name` of the index, checking its size and CRC-32 against the manifest; into `target` when
 * given (which must be exactly the file's size). Falls back to the file's staged name (a crash after commit).
 * Memory is allocated only once a file of the declared size is found.
 *
 * @throws StorageError (a corrupt index) when the manifest's entry for `name` is missing or malformed, or no file
 *   matches it.
 */
export async function readIndexFile(
  dir: string,
  manifest: IndexManifest,
  name: string,
  target?: Uint8Array,
): Promise<Uint8Array> {
  const entry = manifestEntry(dir, manifest, name);
  if (target !== undefined && target.byteLength !== entry.size) {
    throw corruptIndex(
      dir,
      `${name} should hold ${target.byteLength} bytes but the manifest says ${entry.size}`,
    );
  }
  let buffer = target;
  const allocate = (): Uint8Array => {
    try {
      buffer ??= new Uint8Array(entry.size);
    } catch (error) {
      throw new StorageError(
        `cannot load the index in ${dir}: no memory for the ${entry.size} bytes of ${name} (${messageOf(error)}).`,
        { cause: error },
      );
    }
    return buffer;
  };
  // Final name, then the staged one; the final name again in case a concurrent persist renamed it meanwhile.
  const candidates = entry.staged === undefined ? [name] : [name, entry.staged, name];
  let found = false;
  for (const candidate of candidates) {
    const state = await readExactly(join(dir, candidate), entry.size, allocate);
    found ||= state !== "missing";
    if (state === "ok" && buffer !== undefined && crc32(buffer) === entry.crc32) return buffer;
  }
  throw corruptIndex(dir, found ? `${name} does not match its size or checksum` : `${name} is missing`);
}

/**
 * The manifest's entry for `name`, checked: an object with a size (a whole number of bytes no larger than a buffer
 * can be), a CRC-32 (an unsigned 32-bit integer) and, optionally, the name the file was staged under (a file name
 * in the same directory, `<name>.tmp-…`, as {@link writeIndexFiles} writes it).
 */
function manifestEntry(
  dir: string,
  manifest: IndexManifest,
  name: string,
): { size: number; crc32: number; staged: string | undefined } {
  const entry: unknown = Object.hasOwn(manifest.files, name) ? manifest.files[name] : undefined;
  if (entry === undefined) throw corruptIndex(dir, `${MANIFEST_FILE} does not list ${name}`);
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
    throw corruptIndex(dir, `${MANIFEST_FILE} lists ${name} as ${describeValue(entry)}, not as a file entry`);
  }
  const { size, crc32: checksum, staged } = entry as Partial<Record<keyof IndexFileEntry, unknown>>;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0 || size > constants.MAX_LENGTH) {
    throw corruptIndex(
      dir,
      `${MANIFEST_FILE} gives ${name} the size ${describeValue(size)}, not a number of bytes from 0 to ` +
        `${constants.MAX_LENGTH}`,
    );
  }
  if (typeof checksum !== "number" || !Number.isInteger(checksum) || checksum < 0 || checksum > 0xffffffff) {
    throw corruptIndex(dir, `${MANIFEST_FILE} gives ${name} the checksum ${describeValue(checksum)}`);
  }
  if (
    staged !== undefined &&
    (typeof staged !== "string" || !staged.startsWith(`${name}.tmp-`) || /[/\\]/.test(staged))
  ) {
    throw corruptIndex(dir, `${MANIFEST_FILE} gives ${name} the staged name ${describeValue(staged)}`);
  }
  return { size, crc32: checksum, staged };
}

/** A manifest value for an error message: JSON, cut short. */
function describeValue(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/**
 * Fills the buffer `allocate` returns with the file, allocating it only when the file is `size` bytes long;
 * "short" when its size differs.
 */
async function readExactly(
  path: string,
  size: number,
  allocate: () => Uint8Array,
): Promise<"ok" | "short" | "missing"> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw new StorageError(`cannot read ${path}: ${messageOf(error)}`, { cause: error });
  }
  try {
    if ((await handle.stat()).size !== size) return "short";
    const buffer = allocate();
    for (let offset = 0; offset < size; ) {
      const { bytesRead } = await handle.read(buffer, offset, size - offset, offset);
      if (bytesRead === 0) return "short";
      offset += bytesRead;
    }
    return "ok";
  } finally {
    await handle.close();
  }
}
