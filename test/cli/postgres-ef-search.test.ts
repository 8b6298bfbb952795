import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
const HASH = ["--embed", "hash"];

let dir: string;
let db: PGlite;
let server: PGLiteSocketServer;
let url: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-cli-ef-"));
  await cp(DATA, path.join(dir, "docs"), { recursive: true });
  db = new PGlite({ extensions: { vector } });
  server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 8 });
  await server.start();
  url = `postgres://streamdex:pw@${server.getServerConn()}/postgres`;
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});

const exists = async (table: string) =>
  (await db.query<{ t: string | null }>("SELECT to_regclass($1)::text AS t", [table])).rows[0]!.t !== null;

describe("streamdex ask --ef-search, and reading a Postgres table without creating it", () => {
  it("accepts --ef-search on ask (same top-k on a small table) and refuses bad values and other stores", async () => {
    const store = ["--store", url, "--table", "ef_nodes"];
    const ingest = await runCli(["ingest", "docs", ...HASH, ...store], { cwd: dir });
    expect(ingest.code, ingest.stderr).toBe(0);
    const ask = (...extra: string[]) =>
      runCli(["ask", "what did the keeper do at night?", ...HASH, ...store, "--json", ...extra], {
        cwd: dir,
      });
    const plain = await ask("--top-k", "3");
    const tuned = await ask("--top-k", "3", "--ef-search", "400");
    expect(plain.code, plain.stderr).toBe(0);
    expect(tuned.code, tuned.stderr).toBe(0);
    const files = (r: { stdout: string }) =>
      (JSON.parse(r.stdout) as { sources: { file: string }[] }).sources.map((s) => s.file);
    expect(files(tuned)).toHaveLength(3);
    expect(files(tuned)).toEqual(files(plain)); // a small table: both find the exact top 3
    for (const bad of ["0", "1001", "many"]) {
      const r = await ask("--ef-search", bad);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--ef-search needs an integer/);
    }
    const simple = await runCli(["ask", "q", "--ef-search", "50", "--persist", "elsewhere"], { cwd: dir });
    expect(simple.code).toBe(2);
    expect(simple.stderr).toMatch(/--ef-search applies to --store pglite and --store postgres/);
    const help = await runCli(["ask", "--help"], { cwd: dir });
    expect(help.stdout).toMatch(/--ef-search <n>.*HNSW candidates per query/);
  });

  it("ask on an index whose table is gone says to ingest first and creates nothing", async () => {
    const persist = path.join(dir, "gone");
    const store = ["--store", url, "--table", "gone_nodes", "--persist", persist];
    expect((await runCli(["ingest", "docs", ...HASH, ...store], { cwd: dir })).code).toBe(0);
    await db.exec("DROP TABLE gone_nodes");
    const r = await runCli(["ask", "what did the keeper do?", ...HASH, ...store], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/gone_nodes" does not exist.*run `streamdex ingest` first/);
    expect(await exists("gone_nodes")).toBe(false);
  });
});
