import { link, mkdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { StorageError } from "../errors/index.js";
import { sleep } from "../utils/abort.js";

/** The lock of `--store pglite`, next to its data directory in the index directory. */
const PGLITE_LOCK = "pg.lock";
/** The lock a command holds on the index directory while it updates the index (every store). */
export const INDEX_LOCK = "index.lock";
/** How long a command waits for another one updating the same index, unless `STREAMDEX_LOCK_WAIT` says. */
export const DEFAULT_LOCK_WAIT_MS = 60_000;
const POLL_MS = 100;

/** Another streamdex command (a live process) holds the lock. */
export class IndexBusyError extends StorageError {
  constructor(
    message: string,
    /** The process holding the lock. */
    readonly pid: number,
  ) {
    super(message);
  }
}

/** Options of {@link takeLock}. */
export interface LockOptions {
  /** How long to wait for a live holder to release the lock (0: refuse at once). */
  waitMs: number;
  /** Called once when the lock is busy and the wait begins. */
  onWait?(pid: number): void;
  /** The error to throw when the holder is still there after `waitMs`. */
  busy(pid: number): IndexBusyError;
  /** Stops the wait (Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * Takes the lock `file` for this process: a file holding its pid, created atomically (written aside, then
 * hard-linked into place, so it is never seen empty). A lock held by a live process is waited for up to
 * `waitMs`; one left by a process that no longer runs is taken over. Returns the release function (idempotent),
 * which also removes the lock's directory if taking the lock created it and it is empty again.
 */
export async function takeLock(file: string, options: LockOptions): Promise<() => Promise<void>> {
  // A directory made only to hold the lock is removed with it if nothing else was put there: a command that
  // failed before indexing leaves no empty index directory behind.
  const created = await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(temp, `${process.pid}\n`);
  let deadline: number | undefined;
  let sawEmpty = false;
  try {
    for (;;) {
      if (await createExclusive(temp, file)) {
        let released = false;
        return async () => {
          if (released) return;
          released = true;
          await rm(file, { force: true });
          if (created !== undefined) await rmdir(path.dirname(file)).catch(() => undefined);
        };
      }
      const text = await readFile(file, "utf8").catch(() => undefined);
      if (text === undefined) continue; // released meanwhile
      if (text.trim() === "" && !sawEmpty) {
        sawEmpty = true; // being written (no hard links), or left empty by a crash: look again once
        await sleep(POLL_MS, options.signal);
        continue;
      }
      sawEmpty = false;
      const pid = Number(text.trim());
      if (!(Number.isInteger(pid) && pid > 0 && running(pid))) {
        await rm(file, { force: true }); // left by a process that ended without releasing it
        continue;
      }
      if (deadline === undefined) {
        deadline = Date.now() + options.waitMs;
        if (options.waitMs > 0) options.onWait?.(pid);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw options.busy(pid);
      await sleep(Math.min(POLL_MS, left), options.signal);
    }
  } catch (error) {
    await rm(temp, { force: true });
    if (created !== undefined) await rmdir(path.dirname(file)).catch(() => undefined);
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * Locks the index in `dir` while a command updates it (ingest, or the refresh before ask, chat and serve), so
 * two commands never build on different views of it and overwrite each other's files. Waits up to `waitMs` for
 * another command, announcing it once through `onWait`.
 */
export function lockIndex(
  dir: string,
  options: { waitMs: number; onWait(line: string): void; signal?: AbortSignal },
): Promise<() => Promise<void>> {
  const file = path.join(dir, INDEX_LOCK);
  const seconds = Math.round(options.waitMs / 100) / 10;
  return takeLock(file, {
    waitMs: options.waitMs,
    signal: options.signal,
    onWait: (pid) =>
      options.onWait(
        `Waiting for another streamdex command (pid ${pid}) that is updating the index in ${dir} ` +
          `(up to ${seconds} s)…`,
      ),
    busy: (pid) =>
      new IndexBusyError(
        `the index in ${dir} is being updated by another streamdex command (pid ${pid}), still after ` +
          `${seconds} s: run this command again when it has finished, wait longer with STREAMDEX_LOCK_WAIT=<seconds>, ` +
          `or, if no such command runs, delete ${file}.`,
        pid,
      ),
  });
}

/**
 * Locks the PGlite database of the index in `dir` for this process. PGlite is Postgres in one process, with no
 * lock of its own: two processes writing one data directory (`streamdex serve` and an `ingest`, say) would
 * corrupt it. It is held for the whole command (a server holds it while it runs), so a second command is
 * refused at once rather than kept waiting.
 */
export function lockPglite(dir: string): Promise<() => Promise<void>> {
  return takeLock(path.join(dir, PGLITE_LOCK), {
    waitMs: 0,
    busy: (pid) =>
      new IndexBusyError(
        `the PGlite database in ${path.join(dir, "pg")} is open in another streamdex command (pid ${pid}), and ` +
          "PGlite serves one process at a time: wait for it or stop it (e.g. streamdex serve), or keep the index " +
          "in a Postgres server (--store postgres://…) to share it.",
        pid,
      ),
  });
}

/** Puts `temp` in place as `file` unless `file` exists; `false` if it does. */
async function createExclusive(temp: string, file: string): Promise<boolean> {
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS") throw lockError(file, error);
  }
  // A file system without hard links: create the file exclusively (it is briefly empty).
  try {
    await writeFile(file, `${process.pid}\n`, { flag: "wx" });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw lockError(file, error);
  }
}

function lockError(file: string, error: unknown): StorageError {
  return new StorageError(
    `cannot create the lock file ${file}: ${String(error)}. Check that the index directory is writable.`,
    { cause: error },
  );
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
