import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
const CHANGELOG = "To undo a bad import, run edit 1234 in the console and confirm.";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-cli-keyword-"));
  await cp(DATA, path.join(dir, "docs"), { recursive: true });
  await writeFile(path.join(dir, "docs", "changelog.md"), CHANGELOG);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Answer {
  sources: { file: string; text: string }[];
  retrieval: string;
}

/** The files of `ask --json`'s sources, by base name. */
async function askFiles(question: string, args: string[], env: Record<string, string> = {}) {
  const r = await runCli(["ask", question, "--json", ...args], { cwd: dir, env });
  expect(r.code, r.stderr).toBe(0);
  return {
    files: (JSON.parse(r.stdout) as Answer).sources.map((s) => path.basename(s.file)),
    stderr: r.stderr,
  };
}

/** Columns and rows of the command's table in the PGlite of `persist` (opened after the command has ended). */
async function pgliteTable(persist: string): Promise<{ columns: string[]; rows: number }> {
  const db = new PGlite(path.join(dir, persist, "pg"), { extensions: { vector } });
  try {
    const columns = await db.query<{ attname: string }>(
      "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass('public.streamdex_nodes') AND attnum > 0 " +
        "AND NOT attisdropped ORDER BY attnum",
    );
    const rows = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM public.streamdex_nodes");
    return { columns: columns.rows.map((c) => c.attname), rows: rows.rows[0]!.n };
  } finally {
    await db.close();
  }
}

describe("keyword retrieval in the Postgres stores, with no embedding model", () => {
  it('--store pglite: the offline default finds "edit 1234", syncs, never mixes with a model, rebuilds', async () => {
    const store = ["--store", "pglite", "--persist", "kw"];
    const ingest = await runCli(["ingest", "docs", ...store], { cwd: dir });
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(ingest.stderr).toMatch(
      /^Retrieval: no embedding model reachable, so keyword search with Postgres full-text search\./m,
    );
    const chunks = Number(/Index: (\d+) chunks from 6 files/.exec(ingest.stdout)?.[1]);
    const table = await pgliteTable("kw");
    expect(table.columns).toEqual(["id", "ref_doc_id", "text", "metadata", "node_info", "text_search_tsv"]);
    expect(table.rows).toBe(chunks);
    expect((await askFiles("edit 1234", [...store, "--top-k", "1"])).files).toEqual(["changelog.md"]);

    await writeFile(path.join(dir, "docs", "changelog.md"), "Release notes: nothing to see.");
    expect((await askFiles("edit 1234", [...store, "--top-k", "3"])).files).not.toContain("changelog.md");
    expect((await pgliteTable("kw")).rows).toBe(chunks); // the changed file's row replaced, not added
    await writeFile(path.join(dir, "docs", "changelog.md"), CHANGELOG);

    // An embedding model on a keyword-only index is refused (the manifest records "bm25").
    const embed = await runCli(["ask", "edit 1234", ...store, "--embed", "hash"], { cwd: dir });
    expect(embed.code).toBe(2);
    expect(embed.stderr).toMatch(/was built with "bm25", not "hash:256"\. Pass --embed bm25 .* or --rebuild/);

    // --rebuild starts over with embeddings: a vector table, with full-text search on the same rows, so that
    // keyword and hybrid retrieval work there too; vector stays the default.
    const hash = [...store, "--embed", "hash"];
    const rebuilt = await runCli(["ingest", "docs", ...hash, "--rebuild"], { cwd: dir });
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect((await pgliteTable("kw")).columns).toEqual(
      expect.arrayContaining(["embedding", "text_search_tsv"]),
    );
    expect((await askFiles("edit 1234", [...hash, "--retrieval", "keyword", "--top-k", "1"])).files).toEqual([
      "changelog.md",
    ]);
    const hybrid = await askFiles("edit 1234", [...hash, "--retrieval", "hybrid", "--top-k", "3"]);
    expect(hybrid.files).toContain("changelog.md");
    expect((await askFiles("edit 1234", [...hash, "--top-k", "3"])).files).toHaveLength(3);
  }, 180_000);

  it("impossible or unknown --retrieval is a usage error naming the fix", async () => {
    const store = ["--store", "pglite", "--persist", "never-opened"];
    for (const mode of ["vector", "hybrid"]) {
      const r = await runCli(["ask", "edit 1234", ...store, "--retrieval", mode], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(
          `^streamdex: --retrieval ${mode} needs an embedding model, and there is none .*--embed <spec>.*--retrieval keyword`,
          "m",
        ),
      );
    }
    const explicit = await runCli(["ingest", "docs", ...store, "--embed", "bm25", "--retrieval", "vector"], {
      cwd: dir,
    });
    expect(explicit.code).toBe(2);
    expect(explicit.stderr).toMatch(/there is none \(--embed bm25\)/);
    const bogus = await runCli(["ask", "q", ...store], {
      cwd: dir,
      env: { STREAMDEX_RETRIEVAL: "semantic" },
    });
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/unknown --retrieval "semantic"\. Use one of: hybrid, vector, keyword\./);
    const ann = await runCli(["ingest", "docs", "--store", "ann", "--persist", "never-opened"], { cwd: dir });
    expect(ann.code).toBe(2);
    expect(ann.stderr).toMatch(/--store ann keeps embeddings.*or use --store simple, pglite or postgres:/);
  });

  it("--store postgres://… on a server without pgvector: a keyword table, found by full-text search", async () => {
    const db = new PGlite(); // no pgvector: a keyword-only index does not need it
    const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 8 });
    await server.start();
    try {
      const store = ["--store", `postgres://streamdex:s3cret-Pa55word@${server.getServerConn()}/postgres`];
      const ingest = await runCli(["ingest", "docs", ...store, "--persist", "pgkw"], { cwd: dir });
      expect(ingest.code, ingest.stderr).toBe(0);
      expect(ingest.stderr).not.toContain("s3cret-Pa55word");
      const chunks = Number(/Index: (\d+) chunks/.exec(ingest.stdout)?.[1]);
      const rows = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM streamdex_nodes");
      expect(rows.rows[0]!.n).toBe(chunks);
      const { files } = await askFiles("edit 1234", [...store, "--persist", "pgkw", "--top-k", "1"]);
      expect(files).toEqual(["changelog.md"]);
      // A second index on the same table is refused as before.
      const second = await runCli(["ingest", "docs", ...store, "--persist", "pgkw-second"], { cwd: dir });
      expect(second.code).toBe(2);
      expect(second.stderr).toMatch(/already holds chunks that the index in .*pgkw-second does not list/);
      // --rebuild drops the keyword table (it has streamdex's columns) and builds it again.
      const rebuilt = await runCli(["ingest", "docs", ...store, "--persist", "pgkw", "--rebuild"], {
        cwd: dir,
      });
      expect(rebuilt.code, rebuilt.stderr).toBe(0);
      expect(
        (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM streamdex_nodes")).rows[0]!.n,
      ).toBe(chunks);
    } finally {
      await server.stop();
      await db.close();
    }
  }, 120_000);
});

describe("--retrieval with an embedding model", () => {
  it("simple store: keyword is BM25 over the chunks; --retrieval keyword alone needs no model (nor the key)", async () => {
    const withHash = ["--persist", "simple-hash", "--embed", "hash"];
    expect((await runCli(["ingest", "docs", ...withHash], { cwd: dir })).code).toBe(0);
    expect(
      (await askFiles("edit 1234", [...withHash, "--retrieval", "keyword", "--top-k", "1"])).files,
    ).toEqual(["changelog.md"]);
    // OPENAI_API_KEY is set, but keyword retrieval with no --embed chooses no embedding model: nothing is embedded.
    const env = { OPENAI_API_KEY: "sk-never-used", OPENAI_BASE_URL: "http://127.0.0.1:9/v1" };
    const flags = ["--persist", "simple-kw", "--retrieval", "keyword", "--llm", "extractive"];
    const ingest = await runCli(["ingest", "docs", ...flags], { cwd: dir, env });
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(ingest.stderr).toMatch(
      /^Retrieval: BM25 keyword search \(--retrieval keyword\), no embedding model\./m,
    );
    const { files } = await askFiles("edit 1234", [...flags, "--top-k", "1"], env);
    expect(files).toEqual(["changelog.md"]);
  }, 120_000);
});
