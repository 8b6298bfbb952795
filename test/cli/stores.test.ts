import { cp, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chooseStore, displayUrl, storeSecrets } from "../../src/cli/stores.js";
import { redactSecrets } from "../../src/errors/redact.js";
import { runCli } from "./run-cli.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
const HASH = ["--embed", "hash"];
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-cli-store-"));
  await cp(DATA, path.join(dir, "docs"), { recursive: true });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const manifest = async (persist = ".streamdex") =>
  JSON.parse(await readFile(path.join(dir, persist, "streamdex-cli.json"), "utf8")) as {
    store?: { kind: string; table?: string; dimensions?: number };
  };

/** Ingest, change one file and remove one, ingest again, then ask: the same incremental sync on every store. */
async function incrementalRoundTrip(store: string[]): Promise<void> {
  let r = await runCli(["ingest", "docs", ...HASH, ...store], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/5 files: 5 new, 0 changed, 0 removed, 0 unchanged; \d+ new chunks/);
  r = await runCli(["ingest", "docs", ...HASH, ...store], { cwd: dir });
  expect(r.stdout).toMatch(/5 files: 0 new, 0 changed, 0 removed, 5 unchanged; 0 new chunks/);
  const lighthouse = path.join(dir, "docs", "lighthouse.txt");
  await writeFile(lighthouse, "The keeper polished the great lens every morning at dawn.");
  await rm(path.join(dir, "docs", "timeline.json"));
  r = await runCli(["ingest", "docs", ...HASH, ...store], { cwd: dir });
  // Only the changed file was read and embedded (one chunk); the removed file's chunks left the store.
  expect(r.stdout).toMatch(/4 files: 0 new, 1 changed, 1 removed, 3 unchanged; 1 new chunks/);
  const chunks = Number(/Index: (\d+) chunks from 4 files/.exec(r.stdout)?.[1]);
  const a = await runCli(
    ["ask", "what did the keeper polish?", ...HASH, ...store, "--top-k", "9", "--json"],
    {
      cwd: dir,
    },
  );
  expect(a.code, a.stderr).toBe(0);
  const { answer, sources } = JSON.parse(a.stdout) as {
    answer: string;
    sources: { file: string; text: string }[];
  };
  expect(sources[0]!.file).toBe(lighthouse);
  expect(sources[0]!.text).toBe("The keeper polished the great lens every morning at dawn.");
  expect(answer).toMatch(/polished the great lens/);
  expect(sources).toHaveLength(chunks); // every chunk once: the old lighthouse and timeline chunks are gone
  expect(sources.map((s) => s.file)).not.toContain(path.join(dir, "docs", "timeline.json"));
}

describe("streamdex --store pglite", () => {
  it("keeps the index in embedded Postgres on disk, syncs incrementally, refuses other stores, rebuilds", async () => {
    await incrementalRoundTrip(["--store", "pglite"]);
    expect((await stat(path.join(dir, ".streamdex", "pg"))).isDirectory()).toBe(true);
    // The text is in the table, not in a docstore next to the manifest.
    await expect(stat(path.join(dir, ".streamdex", "docstore.json"))).rejects.toThrow();
    expect((await manifest()).store).toEqual({
      kind: "pglite",
      table: "public.streamdex_nodes",
      dimensions: 256,
    });

    const ann = await runCli(["ask", "keeper?", ...HASH, "--store", "ann"], { cwd: dir });
    expect(ann.code).toBe(2);
    expect(ann.stderr).toMatch(
      /streamdex: the index in .* is stored with --store pglite, not --store ann\. Pass --store pglite to use it, or --rebuild/,
    );
    const simple = await runCli(["ask", "keeper?", ...HASH], { cwd: dir });
    expect(simple.code).toBe(2);
    expect(simple.stderr).toMatch(/stored with --store pglite, not --store simple/);
    const table = await runCli(["ask", "keeper?", ...HASH, "--store", "pglite", "--table", "other"], {
      cwd: dir,
    });
    expect(table.stderr).toMatch(/not --store pglite --table public\.other/);

    const r = await runCli(["ingest", "docs", ...HASH, "--store", "ann", "--rebuild"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/4 files: 4 new/);
    await expect(stat(path.join(dir, ".streamdex", "pg"))).rejects.toThrow(); // the PGlite data went with it
    expect((await manifest()).store).toEqual({ kind: "ann" });
  }, 120_000);

  it("--rebuild empties the PGlite database; one process at a time; --store needs an embedding model", async () => {
    let r = await runCli(["ingest", "docs/lighthouse.txt", ...HASH, "--store", "pglite"], { cwd: dir });
    expect(r.stdout).toMatch(/Index: 1 chunks from 1 files/);
    r = await runCli(["ingest", "docs/memoir.md", ...HASH, "--store", "pglite", "--rebuild"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^1 files: 1 new.* Index: 2 chunks from 1 files/); // memoir's two, no lighthouse
    const a = await runCli(["ask", "keeper?", ...HASH, "--store", "pglite", "--top-k", "5", "--json"], {
      cwd: dir,
    });
    expect(
      (JSON.parse(a.stdout) as { sources: { file: string }[] }).sources.map((s) => path.basename(s.file)),
    ).toEqual(["memoir.md", "memoir.md"]);

    // One process at a time: a lock held by a running process refuses (even --rebuild); a stale one is taken over.
    const lock = path.join(dir, ".streamdex", "pg.lock");
    await writeFile(lock, `${process.pid}\n`);
    for (const extra of [[], ["--rebuild"]]) {
      const busy = await runCli(["ask", "keeper?", ...HASH, "--store", "pglite", ...extra], { cwd: dir });
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(
        /^streamdex: the PGlite database in .* is open in another streamdex command/m,
      );
    }
    expect((await stat(path.join(dir, ".streamdex", "pg"))).isDirectory()).toBe(true);
    await writeFile(lock, "999999999\n");
    expect((await runCli(["ask", "keeper?", ...HASH, "--store", "pglite"], { cwd: dir })).code).toBe(0);
    await expect(stat(lock)).rejects.toThrow(); // released

    // No embedding model: keyword search in the table (see keyword-retrieval.test.ts), not a usage error.
    const bm25 = await runCli(["ask", "keeper?", "--store", "pglite", "--persist", "bm25"], { cwd: dir });
    expect(bm25.code, bm25.stderr).toBe(3); // nothing indexed there yet
    expect(bm25.stderr).toMatch(/^Retrieval: no embedding model reachable, so keyword search with Postgres/m);
  }, 120_000);
});

describe("streamdex --store ann", () => {
  it("keeps the vectors in a usearch index in the index directory, synced incrementally", async () => {
    await incrementalRoundTrip(["--store", "ann"]);
    expect((await stat(path.join(dir, ".streamdex", "ann"))).isDirectory()).toBe(true);
    const r = await runCli(["ingest", "docs", ...HASH, "--store", "ann"], { cwd: dir });
    expect(r.stderr).toMatch(/^Store: approximate nearest-neighbour index \(usearch HNSW\) in .*ann\.$/m);
    expect(r.stdout).toMatch(/0 new, 0 changed, 0 removed, 4 unchanged; 0 new chunks/);
  }, 60_000);
});

describe("the store choice", () => {
  it("parses --store and --table (and their environment variables), and rejects bad ones", () => {
    expect(chooseStore({}, {}).record).toEqual({ kind: "simple" });
    expect(chooseStore({}, { STREAMDEX_STORE: "PGlite", STREAMDEX_TABLE: "rag.nodes" })).toMatchObject({
      kind: "pglite",
      schema: "rag",
      table: "nodes",
      record: { kind: "pglite", table: "rag.nodes" },
    });
    const pg = chooseStore({ store: "postgresql://app:pw%40rd@db.internal/rag?sslmode=require" }, {});
    expect(pg.record).toEqual({
      kind: "postgres",
      url: "postgres://app@db.internal:5432/rag",
      table: "public.streamdex_nodes",
    });
    expect(chooseStore({ store: "postgres://app@db.internal:5432/rag" }, {}).record).toEqual(pg.record);
    expect(() => chooseStore({ store: "redis://u:topsecret@h" }, {})).toThrow(
      /unknown store "redis:\/\/u:\[redacted\]@h"/,
    );
    expect(() => chooseStore({ store: "ann", table: "x" }, {})).toThrow(/--table applies to/);
    expect(() => chooseStore({ store: "pglite", table: "x".repeat(49) }, {})).toThrow(/at most 48 bytes/);
    expect(() => chooseStore({ store: "postgres://u:p/w@h/db" }, {})).toThrow(/Percent-encode/);
    expect(displayUrl("postgres://app:pw@h/db?password=x&sslmode=require")).toBe(
      "postgres://app:[redacted]@h/db?password=[redacted]&sslmode=require",
    );
  });

  it("redacts --store passwords (raw and percent-decoded) from any text", () => {
    const argv = ["ask", "q", "--store=postgres://app:s3cr%40t-pw@h/db"];
    const secrets = storeSecrets(argv, { STREAMDEX_STORE: "postgres://h/db?password=env-secret" });
    const text = "failed for s3cr@t-pw and s3cr%40t-pw and env-secret at postgres://x:other-pw@h";
    // One placeholder for every secret the library hides (it was "***" here, "[redacted]" elsewhere).
    expect(redactSecrets(text, { secrets, minSecretLength: 4 })).toBe(
      "failed for [redacted] and [redacted] and [redacted] at postgres://x:[redacted]@h",
    );
  });

  it("bad store usage is exit 2 with one line, and --help documents --store", async () => {
    const r = await runCli(["ingest", "docs", ...HASH, "--store", "mongodb://u:hunter2222@h/db"], {
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain("hunter2222");
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(
      /^streamdex: unknown store "mongodb:\/\/u:\[redacted\]@h\/db"/,
    );
    expect((await runCli(["--help"], { cwd: dir })).stdout).toMatch(/--store <spec> +simple \(default/);
    for (const c of ["ingest", "ask", "chat", "serve"]) {
      expect((await runCli([c, "--help"], { cwd: dir })).stdout).toMatch(/--store/);
    }
  });
});
