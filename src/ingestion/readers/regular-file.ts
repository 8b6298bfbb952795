import { constants, type Stats } from "node:fs";
import { type FileHandle, open, stat } from "node:fs/promises";

/** Non-blocking open: a FIFO opens at once instead of waiting for a writer (absent on Windows, where none waits). */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** A file opened by {@link openRegularFile}: `handle` only when it is a regular file. */
export interface OpenedFile {
  /** From the open handle (`fstat`) when it was opened, else from `stat` (symlinks followed). */
  stats: Stats;
  /** Open for reading; the caller closes it. Absent when the path is not a regular file. */
  handle?: FileHandle;
}

/**
 * Opens `file` for reading if it is a regular file, without ever blocking: its type is checked with `stat` first
 * (a FIFO, socket or device is never opened), then it is opened with `O_NONBLOCK` and checked again on the handle
 * (`fstat`), in case it was replaced in between. Rejects as `stat`/`open` do (ENOENT, EACCES...).
 *
 * @example
 * ```ts
 * const { handle, stats } = await openRegularFile(file);
 * if (!handle) console.warn(`${file}: ${notRegularFile(stats)}`);
 * ```
 */
export async function openRegularFile(file: string): Promise<OpenedFile> {
  const checked = await stat(file);
  if (!checked.isFile()) return { stats: checked };
  const handle = await open(file, OPEN_FLAGS);
  try {
    const stats = await handle.stat();
    if (stats.isFile()) return { stats, handle };
    await handle.close();
    return { stats };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/** Why a file that is not a regular one is skipped, e.g. `"it is a FIFO (named pipe), not a regular file"`. */
export function notRegularFile(stats: Stats): string {
  const kind = stats.isDirectory()
    ? "a directory"
    : stats.isFIFO()
      ? "a FIFO (named pipe)"
      : stats.isSocket()
        ? "a socket"
        : stats.isCharacterDevice()
          ? "a character device"
          : stats.isBlockDevice()
            ? "a block device"
            : undefined;
  return kind ? `it is ${kind}, not a regular file` : "it is not a regular file";
}

/** What {@link readRegularFile} read. */
export interface RegularFileRead {
  /** As in {@link OpenedFile.stats}: check `isFile()` to tell a special file from one over the limit. */
  stats: Stats;
  /** The whole content; absent when the file is not a regular file or is larger than `maxBytes`. */
  bytes?: Uint8Array;
}

/**
 * Reads a regular file whole, if it holds at most `maxBytes` (its size is checked on the open handle, before
 * reading), never blocking on a FIFO or device (see {@link openRegularFile}).
 */
export async function readRegularFile(file: string, maxBytes: number): Promise<RegularFileRead> {
  const { stats, handle } = await openRegularFile(file);
  if (!handle) return { stats };
  try {
    return stats.size > maxBytes ? { stats } : { stats, bytes: await handle.readFile() };
  } finally {
    await handle.close();
  }
}
