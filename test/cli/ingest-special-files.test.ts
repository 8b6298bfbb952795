// `streamdex ingest` on a folder holding a FIFO and a socket: they are skipped with a warning, never opened blocking.
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

let dir: string;
let server: Server | undefined;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-cli-special-"));
  await mkdir(path.join(dir, "docs"));
  await writeFile(path.join(dir, "docs", "notes.txt"), "The lighthouse keeper polished the lens at dawn.");
});
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(process.platform === "win32")("streamdex ingest and special files", () => {
  it("skips a FIFO and a socket with a warning naming each, and indexes the rest, again and again", async () => {
    const fifo = path.join(dir, "docs", "pipe.txt");
    execFileSync("mkfifo", [fifo]);
    const socket = path.join(dir, "docs", "socket.md");
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(socket, resolve));

    let r = await runCli(["ingest", "docs", "--embed", "hash"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Skipped ${fifo}: it is a FIFO (named pipe), not a regular file.`);
    expect(r.stderr).toContain(`Skipped ${socket}: it is a socket, not a regular file.`);
    expect(r.stdout).toMatch(/3 files: 1 new, .* 2 skipped; 1 new chunks\. Index: 1 chunks from 1 files/);

    r = await runCli(["ingest", "docs", "--embed", "hash"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1 unchanged, 2 skipped; 0 new chunks\. Index: 1 chunks from 1 files/);
    const a = await runCli(["ask", "what did the keeper polish?", "--embed", "hash", "--json"], { cwd: dir });
    expect(JSON.parse(a.stdout).sources[0].file).toBe(path.join(dir, "docs", "notes.txt"));
  }, 15_000);

  it("skips a FIFO named on the command line, and says nothing was readable (exit 3)", async () => {
    const fifo = path.join(dir, "docs", "pipe.txt");
    execFileSync("mkfifo", [fifo]);
    const r = await runCli(["ingest", "docs/pipe.txt", "--embed", "hash"], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`Skipped ${fifo}: it is a FIFO (named pipe), not a regular file.`);
    expect(r.stderr).toMatch(/no readable documents/);
  }, 15_000);
});
