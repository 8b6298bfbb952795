import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgSocket } from "../storage/chat-store/pg-socket.js";
import { WireProxy } from "../storage/pgvector/wire-proxy.js";
import { runCli } from "./run-cli.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
const PASSWORD = "s3cret-Pa55word";

let dir: string;
let socket: PgSocket;
let proxy: WireProxy;
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-cli-pgconn-"));
  await cp(DATA, path.join(dir, "docs"), { recursive: true });
  socket = new PgSocket(new PGlite({ extensions: { vector } }));
  await socket.start();
  proxy = await WireProxy.start(socket.port);
  process.on("uncaughtException", onUncaught);
}, 60_000);
afterAll(async () => {
  process.off("uncaughtException", onUncaught);
  await proxy?.close();
  await socket?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("streamdex ingest --store postgres://… when the connection drops mid-write", () => {
  it("exits 1 with one line naming the lost connection (no crash, no stack trace); the next run ingests", async () => {
    const args = ["ingest", "docs", "--embed", "hash", "--store", proxy.url(PASSWORD), "--persist", "idx"];
    const cut = proxy.cutOn("INSERT INTO");
    const r = await runCli(args, { cwd: dir });
    await cut;
    expect(uncaught).toEqual([]);
    expect(r.code).toBe(1);
    const last = r.stderr.trim().split("\n").at(-1);
    expect(last).toMatch(
      /^streamdex: .*Lost the connection to Postgres at 127\.0\.0\.1:\d+ .*The next call reconnects\./,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stderr).not.toContain(PASSWORD);
    const again = await runCli(args, { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    const [row] = await socket.rows<{ n: number }>("SELECT count(*)::int AS n FROM streamdex_nodes");
    expect(row!.n).toBeGreaterThan(0);
  }, 120_000);
});
