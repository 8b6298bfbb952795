import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { StorageError } from "../errors/index.js";

/** The lock file of `--store pglite`, next to its data directory in the index directory. */
const LOCK = "pg.lock";

/**
 * Locks the PGlite database of the index in `dir` for this process (a file holding its pid, created
 * exclusively), and returns the function that releases it. PGlite is Postgres in one process, with no lock of
 * its own: two processes writing one data directory (`streamdex serve` and an `ingest`, say) would corrupt it.
 * A lock left by a process that no longer runs is taken over.
 */
export async function lockPglite(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, LOCK);
  await mkdir(dir, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: "wx" });
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) {
        throw new StorageError(`cannot lock the PGlite database in ${dir}: ${String(error)}`, {
          cause: error,
        });
      }
    }
    const pid = Number((await readFile(file, "utf8").catch(() => "")).trim());
    if (Number.isInteger(pid) && pid > 0 && running(pid)) {
      throw new StorageError(
        `the PGlite database in ${path.join(dir, "pg")} is open in another streamdex command (pid ${pid}), and ` +
          "PGlite serves one process at a time: wait for it or stop it (e.g. streamdex serve), or keep the index " +
          "in a Postgres server (--store postgres://…) to share it.",
      );
    }
    await rm(file, { force: true }); // left by a process that ended without releasing it
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
