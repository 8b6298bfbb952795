import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AbortError, StorageError, TextNode, type VectorStoreAddProgress } from "../../../src/index.js";
import {
  PgVectorStore,
  type PgVectorStoreOptions,
} from "../../../src/storage/vector-store/pgvector/index.js";
import { pgliteRunner, pgRunner } from "../../../src/storage/vector-store/pgvector/query-runner.js";
import { stagingMethod } from "../../../src/storage/vector-store/pgvector/staging-load.js";

const DIMS = 8;
type Open = Omit<PgVectorStoreOptions, "connectionString" | "client" | "pglite" | "dimensions">;

interface Harness {
  name: string;
  open(options?: Open): PgVectorStore;
  sql<R>(text: string, values?: unknown[]): Promise<R[]>;
}

let tables = 0;

function nodes(from: number, to: number, text = (i: number) => `text ${i}`): TextNode[] {
  const out: TextNode[] = [];
  for (let i = from; i < to; i++) {
    const embedding = Array.from(
      { length: DIMS },
      (_, d) => Math.sin(i * 7 + d * 3) + (d === i % DIMS ? 2 : 0),
    );
    out.push(
      new TextNode({
        id: `n${String(i).padStart(3, "0")}`,
        text: text(i),
        metadata: { i, group: i % 3 },
        refDocId: `doc${i % 4}`,
        embedding,
      }),
    );
  }
  return out;
}

/** The table's HNSW indexes: oid (changes when rebuilt) and definition. */
async function hnswIndexes(h: Harness, table: string): Promise<{ oid: number; def: string }[]> {
  return h.sql(
    "SELECT c.oid::int AS oid, pg_get_indexdef(c.oid) AS def FROM pg_index i JOIN pg_class c ON " +
      "c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid = $1::regclass AND a.amname = 'hnsw'",
    [table],
  );
}

/** Every row as text, in id order (a snapshot to compare). */
async function snapshot(h: Harness, table: string): Promise<string[]> {
  const rows = await h.sql<{ r: string }>(`SELECT row(t.*)::text AS r FROM ${table} t ORDER BY id`);
  return rows.map((row) => row.r);
}

function bulkSuite(make: () => Harness, socket: boolean) {
  let h: Harness;
  beforeAll(() => {
    h = make();
  });
  const open = (options: Open = {}) =>
    h.open({
      tableName: `bulk_${process.pid}_${++tables}`,
      bulk: { threshold: 20, chunkSize: 16 },
      ...options,
    });

  it("loads a large add into an empty table: HNSW built after the load, table analysed, progress in order", async () => {
    const store = open();
    await store.ensureTable();
    expect(await store.count()).toBe(0);
    const before = await hnswIndexes(h, store.tableName);
    expect(before).toHaveLength(1);
    const { tuples: unanalysed } = (
      await h.sql<{ tuples: number }>(
        "SELECT reltuples::int AS tuples FROM pg_class WHERE oid = $1::regclass",
        [store.tableName],
      )
    )[0]!;
    expect(unanalysed).toBe(-1);
    const events: VectorStoreAddProgress[] = [];
    const ids = await store.add(nodes(0, 50), { onProgress: (p) => events.push(p) });
    expect(ids).toHaveLength(50);
    expect(events.map((e) => `${e.phase} ${e.done}/${e.total}`)).toEqual([
      "load 16/50",
      "load 32/50",
      "load 48/50",
      "load 50/50",
      "index 0/50",
      "index 50/50",
      "analyze 0/50",
      "analyze 50/50",
    ]);
    const after = await hnswIndexes(h, store.tableName);
    expect(after.map((i) => i.def)).toEqual(before.map((i) => i.def));
    expect(after[0]!.oid).not.toBe(before[0]!.oid); // dropped before the load, built after it
    const { tuples } = (
      await h.sql<{ tuples: number }>(
        "SELECT reltuples::int AS tuples FROM pg_class WHERE oid = $1::regclass",
        [store.tableName],
      )
    )[0]!;
    expect(tuples).toBe(50);
    const rows = await h.sql<{ id: string; text: string; metadata: unknown; ref_doc_id: string }>(
      `SELECT id, text, metadata, ref_doc_id FROM ${store.tableName} ORDER BY id`,
    );
    expect(rows.map((r) => [r.id, r.text, r.metadata, r.ref_doc_id])).toEqual(
      nodes(0, 50).map((n) => [n.id, n.text, n.metadata, n.refDocId]),
    );
    const target = nodes(17, 18)[0]!;
    const result = await store.query({ queryEmbedding: target.embedding!, similarityTopK: 1 });
    expect(result.ids).toEqual([target.id]);
    expect(result.similarities[0]).toBeCloseTo(1, 5);
  });

  it("upserts a large add into a filled table through staging: index kept, rows replaced by id, last copy wins", async () => {
    const store = open();
    await store.add(nodes(0, 30));
    const index = await hnswIndexes(h, store.tableName);
    const update = [...nodes(20, 60, (i) => `new ${i}`), ...nodes(25, 26, () => "last copy")];
    await store.add(update);
    expect(await store.count()).toBe(60);
    expect(await hnswIndexes(h, store.tableName)).toEqual(index); // not rebuilt: the table had rows
    const rows = await h.sql<{ id: string; text: string }>(
      `SELECT id, text FROM ${store.tableName} WHERE id IN ('n019', 'n020', 'n025', 'n059') ORDER BY id`,
    );
    expect(rows.map((r) => `${r.id}=${r.text}`)).toEqual([
      "n019=text 19",
      "n020=new 20",
      "n025=last copy",
      "n059=new 59",
    ]);
  });

  it("carries tabs, newlines, backslashes, quotes and unicode through the bulk path unchanged", async () => {
    const store = open();
    const odd = "tab\there\nline\r\n back\\slash \\N \"quoted\" 'single' ünï 🙂 \\.";
    const batch = nodes(0, 25, (i) => `${odd} ${i}`);
    batch[3]!.metadata = { path: "C:\\dir\\file", note: "a\tb\nc", quote: '"x"', empty: "" };
    await store.add(batch);
    const { nodes: found } = await store.query({ queryEmbedding: batch[3]!.embedding!, similarityTopK: 1 });
    expect(found![0]!.text).toBe(`${odd} 3`);
    expect(found![0]!.metadata).toEqual(batch[3]!.metadata);
    const texts = await h.sql<{ text: string }>(`SELECT text FROM ${store.tableName} ORDER BY id`);
    expect(texts.map((t) => t.text)).toEqual(batch.map((n) => n.text));
  });

  it("keeps small adds on INSERT: the empty table's index is not rebuilt and nothing is analysed", async () => {
    const store = open();
    await store.ensureTable();
    const index = await hnswIndexes(h, store.tableName);
    const events: string[] = [];
    await store.add(nodes(0, 19), { onProgress: (p) => events.push(`${p.phase} ${p.done}/${p.total}`) });
    expect(events).toEqual(["load 19/19"]);
    expect(await hnswIndexes(h, store.tableName)).toEqual(index);
    expect(await store.count()).toBe(19);
  });

  it("rolls an add aborted during the COPY back: rows and the HNSW index exactly as before", async () => {
    const store = open();
    await store.ensureTable();
    const index = await hnswIndexes(h, store.tableName);
    const controller = new AbortController();
    const error = await store
      .add(nodes(0, 50), {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === "load" && p.done === 16) controller.abort();
        },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(await store.count()).toBe(0);
    expect(await hnswIndexes(h, store.tableName)).toEqual(index); // the dropped index came back, the same one

    await store.add(nodes(0, 30));
    const filled = await snapshot(h, store.tableName);
    const again = new AbortController();
    await expect(
      store.add(
        nodes(10, 60, (i) => `changed ${i}`),
        {
          signal: again.signal,
          onProgress: (p) => {
            if (p.phase === "load" && p.done === 32) again.abort();
          },
        },
      ),
    ).rejects.toThrow(AbortError);
    expect(await snapshot(h, store.tableName)).toEqual(filled);
    // An abort after the staging load (during the index build's phase) rolls back too.
    await store.clear();
    const late = new AbortController();
    await expect(
      store.add(nodes(0, 40), {
        signal: late.signal,
        onProgress: (p) => {
          if (p.phase === "index" && p.done === 0) late.abort();
        },
      }),
    ).rejects.toThrow(AbortError);
    expect(await store.count()).toBe(0);
    expect((await hnswIndexes(h, store.tableName)).map((i) => i.def)).toEqual(index.map((i) => i.def));
    // The store works after the aborts.
    await store.add(nodes(0, 40));
    expect(await store.count()).toBe(40);
  });

  it("retries a batch once on a deadlock or serialization failure the server reports", async () => {
    for (const [code, size] of [
      ["40P01", 40],
      ["40001", 5],
    ] as const) {
      const store = open();
      await store.ensureTable();
      const seq = `fault_seq_${process.pid}_${tables}`;
      const fn = `fault_fn_${process.pid}_${tables}`;
      await h.sql(`CREATE SEQUENCE ${seq}`);
      await h.sql(
        `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
          `IF nextval('${seq}') <= (SELECT value::int FROM fault_limit) THEN ` +
          `RAISE EXCEPTION 'injected failure' USING ERRCODE = '${code}'; END IF; RETURN NULL; END $$`,
      );
      await h.sql("CREATE TABLE IF NOT EXISTS fault_limit (value text)");
      await h.sql("DELETE FROM fault_limit");
      await h.sql("INSERT INTO fault_limit VALUES ('1')");
      await h.sql(
        `CREATE TRIGGER fault BEFORE INSERT ON ${store.tableName} FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`,
      );
      await store.add(nodes(0, size)); // fails once, then succeeds
      expect(await store.count()).toBe(size);
      const { calls } = (await h.sql<{ calls: number }>(`SELECT last_value::int AS calls FROM ${seq}`))[0]!;
      expect(calls).toBe(2);

      await h.sql("UPDATE fault_limit SET value = '100'");
      const error = await store.add(nodes(100, 100 + size)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as Error).message).toMatch(/injected failure/);
      expect((error as { cause?: { code?: string } }).cause?.code).toBe(code);
      const { calls: after } = (
        await h.sql<{ calls: number }>(`SELECT last_value::int AS calls FROM ${seq}`)
      )[0]!;
      expect(after).toBe(4); // two more attempts: one try and one retry, no more
      expect(await store.count()).toBe(size);
      await h.sql(`DROP TRIGGER fault ON ${store.tableName}`);
    }
  });

  it("raises maintenance_work_mem for the index build, and builds with the server's when it refuses", async () => {
    await h.sql("CREATE TABLE IF NOT EXISTS mwm_log (tag text, value text)");
    await h.sql(
      "CREATE OR REPLACE FUNCTION mwm_record() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN " +
        "INSERT INTO mwm_log VALUES (tg_tag, current_setting('maintenance_work_mem')); END $$",
    );
    await h.sql(
      "CREATE EVENT TRIGGER mwm_record ON ddl_command_end WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION mwm_record()",
    );
    try {
      const { value: serverDefault } = (
        await h.sql<{ value: string }>("SELECT current_setting('maintenance_work_mem') AS value")
      )[0]!;
      const seen: string[] = [];
      for (const maintenanceWorkMem of ["200MB", "3TB", false] as const) {
        const store = open({ bulk: { threshold: 20, chunkSize: 16, maintenanceWorkMem } });
        await store.ensureTable();
        await h.sql("DELETE FROM mwm_log");
        await store.add(nodes(0, 30));
        expect(await store.count()).toBe(30);
        const log = await h.sql<{ value: string }>("SELECT value FROM mwm_log");
        expect(log).toHaveLength(1);
        seen.push(log[0]!.value);
      }
      // "3TB" is past Postgres' limit: the SET fails in its savepoint and the build goes on with the default.
      expect(seen).toEqual(["200MB", serverDefault, serverDefault]);
      const { value: now } = (
        await h.sql<{ value: string }>("SELECT current_setting('maintenance_work_mem') AS value")
      )[0]!;
      expect(now).toBe(serverDefault); // SET LOCAL: gone with the transaction
    } finally {
      await h.sql("DROP EVENT TRIGGER mwm_record");
    }
  });

  if (socket) {
    it("runs two concurrent adds with overlapping ids on a pool of 2 without a deadlock error", async () => {
      const name = `bulk_${process.pid}_${++tables}`;
      const a = h.open({ tableName: name, bulk: { threshold: 20, chunkSize: 16 } });
      await a.ensureTable();
      const b = h.open({ tableName: name, bulk: { threshold: 20, chunkSize: 16 } });
      for (const [from, to] of [
        [0, 60],
        [0, 12],
      ] as const) {
        const mid = Math.floor((from + to) / 2);
        const aNodes = nodes(from, mid + (to - from) / 4, (i) => `A ${i}`).reverse();
        const bNodes = nodes(mid - (to - from) / 4, to, (i) => `B ${i}`);
        await Promise.all([a.add(aNodes), b.add(bNodes), a.add(aNodes.slice(0, 3))]);
        const rows = await h.sql<{ id: string; text: string; e: string }>(
          `SELECT id, text, embedding::text AS e FROM ${a.tableName} ORDER BY id`,
        );
        const expected = new Map([...aNodes, ...bNodes].map((n) => [n.id, n]));
        expect(rows.map((r) => r.id)).toEqual([...expected.keys()].sort());
        for (const row of rows) {
          const writer = row.text.split(" ")[0]!;
          expect(["A", "B"]).toContain(writer);
          const source = (writer === "A" ? aNodes : bNodes).find((n) => n.id === row.id)!;
          expect(source).toBeDefined(); // that writer wrote this id
          // text and vector from one writer (the server prints float32 values in their shortest form)
          expect(Array.from(Float32Array.from(JSON.parse(row.e) as number[]))).toEqual(
            Array.from(source.embedding!),
          );
        }
        await a.clear();
      }
    });
  }

  it("picks the staging method the database allows", async () => {
    expect(
      await stagingMethod(h.name === "pglite" ? pgliteRunner(db!, false) : pgRunner(pool!, false, {})),
    ).toBe(
      h.name === "pglite" ? "blob" : "arrays", // PGlite's socket server cannot carry COPY FROM STDIN
    );
  });
}

let db: PGlite | undefined;
let pool: pg.Pool | undefined;

describe("PgVectorStore bulk loading on in-process PGlite", () => {
  beforeAll(async () => {
    db = new PGlite({ extensions: { vector } });
    await db.waitReady;
  });
  afterAll(async () => {
    await db?.close();
    db = undefined;
  });
  bulkSuite(
    () => ({
      name: "pglite",
      open: (options = {}) => new PgVectorStore({ dimensions: DIMS, ...options, pglite: db! }),
      sql: async <R>(text: string, values?: unknown[]) => (await db!.query<R>(text, values)).rows,
    }),
    false,
  );
});

describe("PgVectorStore bulk loading over the wire protocol (pg Pool of 2 → PGLiteSocketServer)", () => {
  let socketDb: PGlite;
  let server: PGLiteSocketServer;
  beforeAll(async () => {
    socketDb = new PGlite({ extensions: { vector } });
    server = new PGLiteSocketServer({ db: socketDb, port: 0, host: "127.0.0.1", maxConnections: 8 });
    await server.start();
    const [host, port] = server.getServerConn().split(":");
    pool = new pg.Pool({ host, port: Number(port), user: "postgres", database: "postgres", max: 2 });
  });
  afterAll(async () => {
    await pool?.end();
    pool = undefined;
    await server?.stop();
    await socketDb?.close();
  });
  bulkSuite(
    () => ({
      name: "socket",
      open: (options = {}) => new PgVectorStore({ dimensions: DIMS, ...options, client: pool! }),
      sql: async <R>(text: string, values?: unknown[]) => (await pool!.query(text, values)).rows as R[],
    }),
    true,
  );
});
