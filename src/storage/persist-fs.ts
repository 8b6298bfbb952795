import { mkdir, open, readdir, rename, unlink } from "node:fs/promises";

/**
 * The file operations persistence uses, so tests can inject failures (a full disk, a crash between two writes).
 * {@link nodeFileSystem} is the real one.
 *
 * @example
 * ```ts
 * // Fail every write of the vectors file, as a crash there would:
 * const failing: PersistFileSystem = {
 *   ...nodeFileSystem,
 *   writeFile: (path, data) =>
 *     path.includes("vectors.f32") ? Promise.reject(new Error("disk full")) : nodeFileSystem.writeFile(path, data),
 * };
 * await storageContext.persist(dir, { fs: failing });
 * ```
 */
export interface PersistFileSystem {
  /** Creates `dir` and its parents if missing. */
  mkdir(dir: string): Promise<void>;
  /** Creates `path` (which must not exist), writes `data`, and flushes it to disk (fsync) before resolving. */
  writeFile(path: string, data: Uint8Array): Promise<void>;
  /** Atomically replaces `to` with `from`. */
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
  /** Flushes a directory's entries (the renames in it) to disk; a no-op where the platform cannot. */
  syncDir(dir: string): Promise<void>;
}

/** {@link PersistFileSystem} on `node:fs/promises`. */
export const nodeFileSystem: PersistFileSystem = {
  async mkdir(dir) {
    await mkdir(dir, { recursive: true });
  },
  async writeFile(path, data) {
    const handle = await open(path, "wx");
    try {
      for (let offset = 0; offset < data.byteLength; ) {
        const { bytesWritten } = await handle.write(data, offset, data.byteLength - offset);
        offset += bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename,
  unlink,
  readdir: (dir) => readdir(dir),
  async syncDir(dir) {
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      handle = await open(dir, "r");
      await handle.sync();
    } catch {
      // Windows cannot open or fsync a directory; renames there are durable enough without it.
    } finally {
      await handle?.close();
    }
  },
};
