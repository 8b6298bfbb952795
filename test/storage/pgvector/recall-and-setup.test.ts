import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StorageError, TextNode } from "../../../src/index.js";
import {
  type PGliteLike,
  type PgQueryable,
  PgVectorStore,
  type PgVectorStoreOptions,
} from "../../../src/storage/vector-store/pgvector/index.js";
import { nodesOf, randomVectors } from "../random-vectors.js";

interface Seen {
  sql: string;
  values: unknown[] | undefined;
}

/** The PGlite, passed through, with every statement a store sends recorded (to EXPLAIN and inspect it). */
function recorded(db: PGlite): { pglite: PGliteLike; seen: Seen[] } {
  const seen: Seen[] = [];
  const wrap = (q: PgQueryable): PgQueryable => ({
    query: (sql, values) => {
      seen.push({ sql, values });
      return q.query(sql, values);
    },
  });
  const pglite: PGliteLike = {
    ...wrap(db as unknown as PgQueryable),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx as unknown as PgQueryable))),
    close: () => db.close(),
  };
  return { pglite, seen };
}

let tables = 0;
const table = (base = "r") => `${base}_${process.pid}_${++tables}`;

/** The plan of a recorded statement; `noSeqScan`: as if the table were large (a sequential scan costs more). */
async function plan(db: PGlite, s: Seen, noSeqScan = false): Promise<string> {
  if (noSeqScan) await db.exec("SET enable_seqscan = off");
  try {
    const rows = (await db.query<Record<string, string>>(`EXPLAIN ${s.sql}`, s.values)).rows;
    return rows.map((r) => Object.values(r)[0]).join("\n");
  } finally {
    await db.exec("RESET enable_seqscan");
  }
}

const lastQuery = (seen: Seen[]) => seen.filter((s) => /ORDER BY \(?embedding <[=#-]>/.test(s.sql)).at(-1)!;
const ddl = (seen: Seen[]) => seen.filter((s) => /^\s*(CREATE|ALTER|DROP)/i.test(s.sql)).map((s) => s.sql);

describe("PgVectorStore query planning and table setup (in-process PGlite)", () => {
  let db: PGlite;
  beforeAll(async () => {
    db = new PGlite({ extensions: { vector } });
    await db.waitReady;
  });
  afterAll(() => db?.close());
  const open = (pglite: PGliteLike, options: Partial<PgVectorStoreOptions> = {}) =>
    new PgVectorStore({ pglite, dimensions: 16, tableName: table(), ...options });

  it("sets hnsw.ef_search per query from similarityTopK in the query's own statement", async () => {
    const { pglite, seen } = recorded(db);
    const store = open(pglite);
    await store.add(nodesOf(randomVectors(200, 16, 3)));
    const q = randomVectors(1, 16, 4)[0]!;
    const efOf = async (k: number, s = store) => {
      await s.query({ queryEmbedding: q, similarityTopK: k });
      const last = lastQuery(seen);
      expect(last.sql).toMatch(/set_config\('hnsw\.ef_search'/);
      return Number(last.values!.find((v, i) => typeof v === "string" && i > 0));
    };
    // max(efSearchMin 100, 2 × k), capped at 1000
    expect([await efOf(1), await efOf(10), await efOf(80), await efOf(700)]).toEqual([100, 100, 160, 1000]);
    const fixed = open(pglite, {
      tableName: store.tableName.split(".")[1]!.slice(1, -1),
      hnsw: { efSearch: 20 },
    });
    expect([await efOf(5, fixed), await efOf(50, fixed)]).toEqual([20, 50]); // never below k
    const tuned = open(pglite, {
      tableName: store.tableName.split(".")[1]!.slice(1, -1),
      hnsw: { efSearchFactor: 4, efSearchMin: 8 },
    });
    expect([await efOf(1, tuned), await efOf(10, tuned)]).toEqual([8, 40]);
    // pgvector honours it before the scan starts: without an iterative scan, ef_search 1 returns one row.
    const one = lastQuery(seen);
    const values = one.values!.map((v) => (v === "40" ? "1" : v));
    await db.exec("SET enable_seqscan = off"); // through the index, as on a large table
    try {
      expect((await db.query(one.sql, values)).rows).toHaveLength(1);
      expect((await db.query(one.sql, one.values)).rows).toHaveLength(10);
    } finally {
      await db.exec("RESET enable_seqscan");
    }
    expect(
      (await db.query<{ ef: string }>("SELECT current_setting('hnsw.ef_search') AS ef")).rows[0]!.ef,
    ).toBe("40"); // local to the statement
  });

  it("searches exactly with hnsw: false even when the table has an HNSW index (EXPLAIN)", async () => {
    const { pglite, seen } = recorded(db);
    const indexed = open(pglite);
    const nodes = nodesOf(randomVectors(300, 16, 5));
    await indexed.add(nodes);
    await db.exec(`ANALYZE ${indexed.tableName}`);
    const name = indexed.tableName.split(".")[1]!.slice(1, -1);
    const q = { queryEmbedding: randomVectors(1, 16, 6)[0]!, similarityTopK: 5 };
    await indexed.query(q);
    expect(await plan(db, lastQuery(seen), true)).toMatch(/Index Scan using \S+_hnsw_cos_idx/);
    const exact = open(pglite, { tableName: name, hnsw: false });
    const { ids } = await exact.query(q);
    // Even with sequential scans discouraged, the index cannot serve the exact search's order.
    const exactPlan = await plan(db, lastQuery(seen), true);
    expect(exactPlan).not.toMatch(/hnsw/);
    expect(exactPlan).toMatch(/Seq Scan/);
    expect(ids).toHaveLength(5);
  });

  it("lets the GIN index serve a selective `in`, and the HNSW index an unselective one", async () => {
    const { pglite, seen } = recorded(db);
    const store = open(pglite);
    const nodes = nodesOf(randomVectors(2000, 16, 8)).map(
      (n, i) => new TextNode({ ...n.toJSON(), metadata: { u: i % 500, g: i % 2 }, embedding: n.embedding }),
    );
    await store.add(nodes);
    await db.exec(`ANALYZE ${store.tableName}`);
    const queryEmbedding = randomVectors(1, 16, 9)[0]!;
    const selective = await store.query({
      queryEmbedding,
      similarityTopK: 10,
      filters: { filters: [{ key: "u", value: [7, 8], operator: "in" }] },
    });
    expect([...selective.ids].sort()).toEqual(
      nodes
        .filter((_, i) => i % 500 === 7 || i % 500 === 8)
        .map((n) => n.id)
        .sort(),
    );
    expect(await plan(db, lastQuery(seen))).toMatch(/Bitmap Index Scan on \S+_metadata_idx/);
    const broad = await store.query({
      queryEmbedding,
      similarityTopK: 10,
      filters: { filters: [{ key: "g", value: [0, 1], operator: "in" }] },
    });
    expect(broad.ids).toHaveLength(10);
    expect(await plan(db, lastQuery(seen), true)).toMatch(/Index Scan using \S+_hnsw_cos_idx/);
  });

  it("returns zero vectors under cosine, last with similarity 0, through the HNSW index too", async () => {
    await db.exec("SET enable_seqscan = off"); // the index path, as on a large table
    try {
      await zeroVectors();
    } finally {
      await db.exec("RESET enable_seqscan");
    }
  });

  async function zeroVectors(): Promise<void> {
    for (const hnsw of [undefined, false] as const) {
      const { pglite, seen } = recorded(db);
      const store = open(pglite, { dimensions: 3, hnsw });
      await store.add([
        new TextNode({ id: "zero", text: "z", embedding: [0, 0, 0], metadata: { k: "a" } }),
        new TextNode({ id: "x", text: "x", embedding: [1, 0, 0], metadata: { k: "a" } }),
        new TextNode({ id: "y", text: "y", embedding: [0, 1, 0], metadata: { k: "b" } }),
      ]);
      const all = await store.query({ queryEmbedding: [1, 0.1, 0], similarityTopK: 5 });
      expect(all.ids).toEqual(["x", "y", "zero"]);
      expect(all.similarities[2]).toBe(0);
      const main = lastQuery(seen);
      if (hnsw === undefined) {
        expect(await plan(db, main)).toMatch(/hnsw_cos_idx/);
        // The index leaves the zero vector out: the second statement brings it back.
        expect((await db.query<{ id: string }>(main.sql, main.values)).rows.map((r) => r.id)).toEqual([
          "x",
          "y",
        ]);
      }
      const top = await store.query({ queryEmbedding: [1, 0.1, 0], similarityTopK: 2 });
      expect(top.ids).toEqual(["x", "y"]);
      const filtered = await store.query({
        queryEmbedding: [1, 0.1, 0],
        similarityTopK: 5,
        filters: { filters: [{ key: "k", value: "a" }] },
      });
      expect(filtered.ids).toEqual(["x", "zero"]);
    }
  }

  it("never creates anything on the read path; createTable: false says to ingest first", async () => {
    const { pglite, seen } = recorded(db);
    const name = table();
    const reader = open(pglite, { tableName: name });
    expect(await reader.query({ queryEmbedding: randomVectors(1, 16, 1)[0]!, similarityTopK: 3 })).toEqual({
      nodes: [],
      ids: [],
      similarities: [],
    });
    expect(await reader.count()).toBe(0);
    await reader.delete("d0");
    expect(ddl(seen)).toEqual([]);
    expect((await db.query("SELECT to_regclass($1) AS t", [name])).rows).toEqual([{ t: null }]);
    const strict = open(pglite, { tableName: name, createTable: false });
    const error = await strict
      .query({ queryEmbedding: new Float32Array(16), similarityTopK: 1 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(/does not exist.*createTable: false.*streamdex ingest.*add\(\)/);
    await expect(strict.add(nodesOf(randomVectors(1, 16, 2)))).rejects.toThrow(/does not exist/);
    expect(ddl(seen)).toEqual([]);
    // The writer creates it; a second writer finds it complete in the catalog and runs no DDL.
    await open(pglite, { tableName: name }).add(nodesOf(randomVectors(3, 16, 2)));
    const created = ddl(seen).length;
    expect(created).toBeGreaterThanOrEqual(4); // extension present: schema exists; table + 3 indexes
    await open(pglite, { tableName: name }).add(nodesOf(randomVectors(2, 16, 3), 10, "m"));
    expect(ddl(seen)).toHaveLength(created);
    expect(await strict.count()).toBe(5);
  });

  it("serves a read-only role (GRANT SELECT): queries work and nothing is created", async () => {
    const name = table();
    const writer = open(db as unknown as PGliteLike, { tableName: name });
    await writer.add(nodesOf(randomVectors(20, 16, 11)));
    const objects = async () =>
      Number((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_class")).rows[0]!.n);
    const before = await objects();
    await db.exec(
      `CREATE ROLE reader_${tables} NOLOGIN; GRANT USAGE ON SCHEMA public TO reader_${tables}; ` +
        `GRANT SELECT ON ${writer.tableName} TO reader_${tables}; SET ROLE reader_${tables}`,
    );
    try {
      for (const createTable of [true, false]) {
        const reader = open(db as unknown as PGliteLike, { tableName: name, createTable });
        const { ids } = await reader.query({
          queryEmbedding: randomVectors(1, 16, 12)[0]!,
          similarityTopK: 3,
          filters: { filters: [{ key: "missing", value: ["x"], operator: "nin" }] },
        });
        expect(ids).toHaveLength(3);
        expect(await reader.count()).toBe(20);
      }
      const denied = await open(db as unknown as PGliteLike, { tableName: name })
        .add(nodesOf(randomVectors(1, 16, 13), 10, "w"))
        .catch((e) => e);
      expect(denied).toBeInstanceOf(StorageError);
      expect((denied as Error).message).toMatch(/permission denied/);
    } finally {
      await db.exec("RESET ROLE");
    }
    expect(await objects()).toBe(before);
  });

  it("names both sides when the table has other dimensions or another distance", async () => {
    const name = table();
    await open(db as unknown as PGliteLike, { tableName: name, dimensions: 3 }).add([
      new TextNode({ id: "a", text: "a", embedding: [1, 0, 0] }),
    ]);
    await expect(
      open(db as unknown as PGliteLike, { tableName: name, dimensions: 4 }).count(),
    ).rejects.toThrow(/holds vector\(3\) embeddings but this store was configured with dimensions: 4/);
    const error = await open(db as unknown as PGliteLike, { tableName: name, dimensions: 3, distance: "l2" })
      .query({ queryEmbedding: [1, 0, 0], similarityTopK: 1 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(
      /built for distance "cosine" \(its HNSW index uses vector_cosine_ops\).*distance: "l2" \(vector_l2_ops\)/,
    );
  });

  it("says a superuser must create the extension when it is missing", async () => {
    const bare = new PGlite();
    try {
      const store = new PgVectorStore({ pglite: bare, dimensions: 3, createTable: false });
      await expect(store.query({ queryEmbedding: [1, 0, 0], similarityTopK: 1 })).rejects.toThrow(
        /pgvector extension, which is not created.*superuser.*CREATE EXTENSION vector/,
      );
    } finally {
      await bare.close();
    }
  });
});

describe("PgVectorStore over the wire protocol: names and an open ingest", () => {
  let db: PGlite;
  let server: PGLiteSocketServer;
  let client: pg.Client;
  beforeAll(async () => {
    db = new PGlite({ extensions: { vector } });
    server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1" });
    await server.start();
    const [host, port] = server.getServerConn().split(":");
    client = new pg.Client({ host, port: Number(port), user: "postgres", database: "postgres" });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await server?.stop();
    await db?.close();
  });

  it("quotes schema and table names with quotes and unicode end to end", async () => {
    const names = { schemaName: 'Schéma "q" ✓', tableName: "tâble 'x' \"y\" 表" };
    const store = new PgVectorStore({ client, dimensions: 3, ...names });
    await store.add([
      new TextNode({ id: "a", text: "a", refDocId: "A", embedding: [1, 0, 0], metadata: { k: "é" } }),
      new TextNode({ id: "b", text: "b", refDocId: "B", embedding: [0, 1, 0], metadata: { k: "ü" } }),
    ]);
    const again = new PgVectorStore({ client, dimensions: 3, ...names, createTable: false });
    const { ids } = await again.query({
      queryEmbedding: [0, 1, 0],
      similarityTopK: 2,
      filters: { filters: [{ key: "k", value: ["ü", "é"], operator: "in" }] },
    });
    expect(ids).toEqual(["b", "a"]);
    await again.delete("A");
    expect(await again.count()).toBe(1);
    const indexes = await client.query("SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY 1", [
      names.schemaName,
    ]);
    expect(indexes.rows.map((r) => r.indexname)).toEqual([
      `${names.tableName}_hnsw_cos_idx`,
      `${names.tableName}_metadata_idx`,
      `${names.tableName}_pkey`,
      `${names.tableName}_ref_doc_id_idx`,
      `${names.tableName}_tsv_idx`,
    ]);
  });

  it("a new store's first query inside an ingest's open transaction takes no lock an ingest conflicts with", async () => {
    const tableName = table("ingest");
    await new PgVectorStore({ client, dimensions: 3, tableName }).add([
      new TextNode({ id: "old", text: "old", embedding: [1, 0, 0] }),
    ]);
    // PGlite serves one session (its socket server queues other connections behind an open transaction), so the
    // reader runs on the ingest's connection; pg_locks then shows every lock the reader's statements took.
    const locks = async () =>
      (
        await client.query(
          "SELECT c.relname || ':' || l.mode AS lock FROM pg_locks l JOIN pg_class c ON c.oid = l.relation " +
            "WHERE c.relname LIKE $1 ORDER BY 1",
          [`${tableName}%`],
        )
      ).rows.map((r) => r.lock as string);
    await client.query("BEGIN");
    try {
      await client.query(
        `INSERT INTO public.${tableName} (id, ref_doc_id, text, embedding) VALUES ('new', 'new', 'new', '[0,1,0]')`,
      );
      const ingest = await locks();
      expect(ingest).toContain(`${tableName}:RowExclusiveLock`);
      const reader = new PgVectorStore({ client, dimensions: 3, tableName, createTable: false });
      const result = await reader.query({ queryEmbedding: [0, 1, 0], similarityTopK: 2 });
      expect(result.ids).toEqual(["new", "old"]);
      const added = (await locks()).filter((l) => !ingest.includes(l));
      expect(added.length).toBeGreaterThan(0);
      // AccessShareLock is the only mode compatible with every lock an ingest holds (RowExclusiveLock).
      expect(
        added.every((l) => l.endsWith(":AccessShareLock")),
        added.join(", "),
      ).toBe(true);
    } finally {
      await client.query("ROLLBACK");
    }
  });
});
