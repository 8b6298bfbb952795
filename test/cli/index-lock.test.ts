import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
const HASH = ["--embed", "hash"];
const WAITING = /^Waiting for another streamdex command \(pid \d+\) that is updating the index in /gm;
const WAITS = new RegExp(WAITING.source, "m");
let dir: string;
let holder: ChildProcess | undefined;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-cli-lock-"));
  await cp(DATA, path.join(dir, "docs"), { recursive: true });
});
afterEach(async () => {
  holder?.kill();
  holder = undefined;
  await rm(dir, { recursive: true, force: true });
});

const lockFile = (persist = ".streamdex") => path.join(dir, persist, "index.lock");
const indexedFiles = async (persist = ".streamdex") =>
  Object.keys(
    (JSON.parse(await readFile(path.join(dir, persist, "streamdex-cli.json"), "utf8")) as { files: object })
      .files,
  )
    .map((f) => path.basename(f))
    .sort();

/** A live process that is not this one, whose pid a test writes into a lock as "another streamdex command". */
async function liveOtherProcess(): Promise<number> {
  holder = spawn("sleep", ["600"], { stdio: "ignore" });
  await new Promise((resolve) => holder!.once("spawn", resolve));
  return holder.pid!;
}

describe("one command updates an index at a time", () => {
  for (const store of [[], ["--store", "ann"]]) {
    it(`two ingests at once with different files: one waits for the other, both files stay indexed (--store ${store[1] ?? "simple"})`, async () => {
      const [a, b] = await Promise.all([
        runCli(["ingest", "docs/lighthouse.txt", ...HASH, ...store], { cwd: dir }),
        runCli(["ingest", "docs/memoir.md", ...HASH, ...store], { cwd: dir }),
      ]);
      expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
      expect([...(a.stderr + b.stderr).matchAll(WAITING)]).toHaveLength(1); // one message, from the one that waited
      expect(await indexedFiles()).toEqual(["lighthouse.txt", "memoir.md"]);
      await expect(stat(lockFile())).rejects.toThrow(); // released
      const r = await runCli(["ingest", "docs/lighthouse.txt", "docs/memoir.md", ...HASH, ...store], {
        cwd: dir,
      });
      expect(r.stdout).toMatch(/2 files: 0 new, 0 changed, 0 removed, 2 unchanged/);
    });
  }

  it("a lock of a live process: waits (one message), then refuses naming its pid; the lock is kept", async () => {
    const pid = await liveOtherProcess();
    await mkdir(path.join(dir, "idx"));
    await writeFile(lockFile("idx"), `${pid}\n`);
    const env = { STREAMDEX_LOCK_WAIT: "0.3" };
    for (const argv of [
      ["ingest", "docs", "--persist", "idx", ...HASH],
      ["ask", "keeper?", "--data", "docs", "--persist", "idx", ...HASH],
      ["ingest", "docs", "--persist", "idx", ...HASH, "--rebuild"],
    ]) {
      const r = await runCli(argv, { cwd: dir, env });
      expect(r.code, argv.join(" ")).toBe(1);
      expect([...r.stderr.matchAll(WAITING)]).toHaveLength(1);
      const error = r.stderr.trim().split("\n").at(-1)!;
      expect(error).toMatch(
        new RegExp(
          `^streamdex: the index in .*idx is being updated by another streamdex command \\(pid ${pid}\\)`,
        ),
      );
      expect(error).toMatch(/run this command again when it has finished/);
      expect(error).toMatch(/STREAMDEX_LOCK_WAIT/);
    }
    expect(await readFile(lockFile("idx"), "utf8")).toBe(`${pid}\n`); // neither taken nor deleted
    await expect(stat(path.join(dir, "idx", "streamdex-cli.json"))).rejects.toThrow(); // nothing written

    const bad = await runCli(["ingest", "docs", "--persist", "idx", ...HASH], {
      cwd: dir,
      env: { STREAMDEX_LOCK_WAIT: "soon" },
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/STREAMDEX_LOCK_WAIT needs a number of seconds/);
  });

  it("waits for a live process, then proceeds once it is done", async () => {
    const pid = await liveOtherProcess();
    await mkdir(path.join(dir, ".streamdex"));
    await writeFile(lockFile(), `${pid}\n`);
    let released = false;
    const r = await runCli(["ingest", "docs", ...HASH], {
      cwd: dir,
      onStderr: (text) => {
        // The other command finishes (releases its lock) once this one has said it waits.
        if (!released && WAITS.test(text)) {
          released = true;
          void rm(lockFile());
        }
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect([...r.stderr.matchAll(WAITING)]).toHaveLength(1);
    expect(r.stdout).toMatch(/5 files: 5 new/);
    expect(await indexedFiles()).toHaveLength(5);
    await expect(stat(lockFile())).rejects.toThrow();
  });

  it("a lock left by a process that no longer runs is taken over at once, without waiting", async () => {
    const pid = await liveOtherProcess();
    const exited = new Promise((resolve) => holder!.once("exit", resolve));
    holder!.kill();
    await exited;
    await mkdir(path.join(dir, ".streamdex"));
    await writeFile(lockFile(), `${pid}\n`);
    const r = await runCli(["ingest", "docs", ...HASH], { cwd: dir, env: { STREAMDEX_LOCK_WAIT: "600" } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(WAITS);
    expect(await indexedFiles()).toHaveLength(5);
    await expect(stat(lockFile())).rejects.toThrow();
  });

  it("ask without an index creates no index folder (nothing to lock)", async () => {
    const r = await runCli(["ask", "anything"], { cwd: dir });
    expect(r.code).toBe(3);
    await expect(stat(path.join(dir, ".streamdex"))).rejects.toThrow();
  });
});
