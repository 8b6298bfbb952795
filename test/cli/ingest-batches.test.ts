import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddingChoice } from "../../src/cli/models.js";
import { chooseStore } from "../../src/cli/stores.js";
import { Workspace } from "../../src/cli/workspace.js";
import { type EmbedCallOptions, MockEmbedding } from "../../src/index.js";

/** The hash model, failing on its `failOn`-th call (an embedding server that goes away mid-ingest). */
class FailingEmbedding extends MockEmbedding {
  calls = 0;
  constructor(private readonly failOn: number) {
    super({ dimensions: 16 });
  }
  override async getTextEmbeddings(texts: string[], options?: EmbedCallOptions): Promise<Float32Array[]> {
    if (++this.calls === this.failOn) throw new Error(`embedding call ${this.calls} failed`);
    return super.getTextEmbeddings(texts, options);
  }
}

const hash = (model: MockEmbedding): EmbeddingChoice => ({ kind: "embedding", spec: "hash:16", model });

let db: PGlite;
let server: PGLiteSocketServer;
let url: string;
let root: string;
beforeAll(async () => {
  db = new PGlite({ extensions: { vector } });
  server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 8 });
  await server.start();
  url = `postgres://streamdex:pw@${server.getServerConn()}/postgres`;
  root = await mkdtemp(path.join(tmpdir(), "streamdex-batches-"));
  await mkdir(path.join(root, "docs"));
  for (let f = 0; f < 8; f++) {
    const sentences = Array.from(
      { length: 2 + (f % 3) },
      (_, s) => `File ${f} sentence ${s} says ${"word ".repeat(12)}.`,
    );
    await writeFile(path.join(root, "docs", `f${f}.txt`), sentences.join(" "));
  }
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await db?.close();
  await rm(root, { recursive: true, force: true });
});

const rows = async (table: string) =>
  (
    await db.query<{ doc: string; text: string }>(
      `SELECT ref_doc_id AS doc, text FROM ${table} ORDER BY 1, 2`,
    )
  ).rows;
const hnswCount = async (table: string) =>
  Number(
    (
      await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON " +
          "a.oid = c.relam WHERE i.indrelid = $1::regclass AND a.amname = 'hnsw'",
        [table],
      )
    ).rows[0]!.n,
  );

async function ingest(dir: string, table: string, model: MockEmbedding): Promise<void> {
  const store = chooseStore({ store: url, table }, {});
  const ws = await Workspace.open(dir, hash(model), store, {
    chunkSize: 24,
    chunkOverlap: 0,
    batchSize: 5,
    onWarning: () => undefined,
  });
  try {
    await ws.sync([path.join(root, "docs")]);
  } finally {
    await ws.close();
  }
}

describe("streamdex ingest into Postgres commits batch by batch", () => {
  it("a run that fails after some batches keeps them, and the next run converges to a clean ingest", async () => {
    await ingest(path.join(root, "clean"), "clean_nodes", new MockEmbedding({ dimensions: 16 }));
    const expected = await rows("clean_nodes");
    expect(expected.length).toBeGreaterThan(15); // several batches of 5

    const dir = path.join(root, "crashed");
    const failing = new FailingEmbedding(3);
    await expect(ingest(dir, "crashed_nodes", failing)).rejects.toThrow(/embedding call 3 failed/);
    // Two batches of 5 were committed before the third failed (one transaction for the whole ingest kept none).
    expect(await rows("crashed_nodes")).toHaveLength(10);
    const manifest = JSON.parse(await readFile(path.join(dir, "streamdex-cli.json"), "utf8")) as {
      files: Record<string, unknown>;
      loadPending?: boolean;
    };
    const recorded = Object.keys(manifest.files);
    expect(recorded.length).toBeGreaterThan(0);
    expect(recorded.length).toBeLessThan(8);
    expect(manifest.loadPending).toBe(true);
    // Every recorded file has all its chunks in the table.
    const written = await rows("crashed_nodes");
    for (const file of recorded) {
      expect(written.filter((r) => r.doc === file)).toEqual(expected.filter((r) => r.doc === file));
    }
    expect(await hnswCount("crashed_nodes")).toBe(0); // the empty table's index waits for the load's end

    await ingest(dir, "crashed_nodes", new MockEmbedding({ dimensions: 16 }));
    expect(await rows("crashed_nodes")).toEqual(expected); // partial file rewritten, nothing twice, nothing lost
    expect(await hnswCount("crashed_nodes")).toBe(1);
    const after = JSON.parse(await readFile(path.join(dir, "streamdex-cli.json"), "utf8")) as {
      files: Record<string, unknown>;
      loadPending?: boolean;
    };
    expect(Object.keys(after.files)).toHaveLength(8);
    expect(after.loadPending).toBeUndefined();
    const analysed = await db.query<{ n: number }>(
      "SELECT reltuples::int AS n FROM pg_class WHERE oid = 'crashed_nodes'::regclass",
    );
    expect(analysed.rows[0]!.n).toBe(expected.length);
  });

  it("a changed file that fails to re-ingest is read again by the next run, even if changed back", async () => {
    const dir = path.join(root, "changed");
    await ingest(dir, "changed_nodes", new MockEmbedding({ dimensions: 16 }));
    const before = await rows("changed_nodes");
    const file = path.join(root, "docs", "f1.txt");
    const original = await readFile(file, "utf8");
    await writeFile(file, `${original} An added sentence ${"more ".repeat(10)}.`);
    await expect(ingest(dir, "changed_nodes", new FailingEmbedding(1))).rejects.toThrow(/failed/);
    expect((await rows("changed_nodes")).some((r) => r.doc === file)).toBe(false); // its old rows went first
    await writeFile(file, original); // back to the recorded content, with a new mtime
    await ingest(dir, "changed_nodes", new MockEmbedding({ dimensions: 16 }));
    expect(await rows("changed_nodes")).toEqual(before);
  });
});
