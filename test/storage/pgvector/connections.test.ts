import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type MetadataFilters,
  ProviderConnectionError,
  ProviderTimeoutError,
  StorageError,
  TextNode,
} from "../../../src/index.js";
import {
  PgVectorStore,
  type PgVectorStoreOptions,
} from "../../../src/storage/vector-store/pgvector/index.js";
import { PgSocket } from "../chat-store/pg-socket.js";
import { WireProxy } from "./wire-proxy.js";

const PASSWORD = "s3cret-Pa55word";

/** A 4-dimensional unit-ish vector that is nearest to itself among the test nodes. */
const vec = (i: number) => [1, i, i * i, (i % 3) - 1];
const node = (id: string, i: number, text = id) =>
  new TextNode({ id, text, embedding: vec(i), metadata: { group: i % 2 === 0 ? "even" : "odd" } });

let socket: PgSocket;
const proxies: WireProxy[] = [];
/** Every uncaught exception or unhandled rejection in this worker (a dropped pg connection used to be one). */
let uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);
const stores: PgVectorStore[] = [];

beforeAll(async () => {
  socket = new PgSocket(new PGlite({ extensions: { vector } }));
  await socket.start();
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onUncaught);
}, 60_000); // PGlite boots slowly on a busy machine
afterAll(async () => {
  for (const store of stores) await store.close().catch(() => undefined);
  process.off("uncaughtException", onUncaught);
  process.off("unhandledRejection", onUncaught);
  for (const proxy of proxies) await proxy.close();
  await socket?.close();
});
afterEach(() => {
  expect(uncaught).toEqual([]);
  uncaught = [];
});

/** A proxy of its own for each test, so that its counts and cuts concern that test's store only. */
async function newProxy(): Promise<WireProxy> {
  const proxy = await WireProxy.start(socket.port);
  proxies.push(proxy);
  return proxy;
}

/** A store opening its own pool through `proxy` (as the command does with --store postgres://…). */
function open(
  proxy: WireProxy,
  tableName: string,
  options: Partial<PgVectorStoreOptions> = {},
): PgVectorStore {
  const store = new PgVectorStore({
    connectionString: proxy.url(PASSWORD),
    dimensions: 4,
    tableName,
    ...options,
  });
  stores.push(store);
  return store;
}

/** The committed rows, read on a connection of its own (the server runs it after any open transaction ends). */
async function committed(table: string): Promise<string[]> {
  const pool = socket.pool(1);
  const { rows } = await pool.query<{ id: string; text: string }>(
    `SELECT id, text FROM ${table} ORDER BY id`,
  );
  await pool.end();
  return rows.map((r) => `${r.id}:${r.text}`);
}

function expectLost(error: unknown): void {
  expect(error).toBeInstanceOf(ProviderConnectionError);
  const e = error as ProviderConnectionError;
  expect(e.provider).toBe("postgres");
  expect(e.message).toMatch(/Lost the connection to Postgres at 127\.0\.0\.1:\d+ .*The next call reconnects/);
  expect(`${e.message} ${e.stack}`).not.toContain(PASSWORD);
}

describe("PgVectorStore: a connection dropped mid-transaction (pg → wire proxy → PGLiteSocketServer)", () => {
  it("add(): rejects with ProviderConnectionError, no uncaught error, nothing written, the next call works", async () => {
    const proxy = await newProxy();
    const store = open(proxy, "drop_add", { batchSize: 2 });
    await store.add([node("a", 1), node("b", 2)]);
    const before = await committed("drop_add");
    const opened = proxy.opened;
    // The 2nd INSERT of the next add(): BEGIN and the first batch (which rewrites "a") have run.
    const cut = proxy.cutOn("INSERT INTO", 2);
    const batch = [
      node("a", 1, "a v2"),
      node("c", 3),
      node("d", 4),
      node("e", 5),
      node("f", 6),
      node("g", 7),
    ];
    const error = await store.add(batch).catch((e: unknown) => e);
    await cut;
    expectLost(error);
    expect(await committed("drop_add")).toEqual(before);
    expect(await store.add(batch)).toEqual(["a", "c", "d", "e", "f", "g"]);
    expect(await store.count()).toBe(7);
    expect((await committed("drop_add"))[0]).toBe("a:a v2");
    expect(proxy.opened).toBeGreaterThan(opened); // the dropped connection was discarded, a new one opened
  });

  const cases: [string, string, Partial<PgVectorStoreOptions>, { filters?: MetadataFilters }][] = [
    [
      "a filtered query (a transaction for hnsw.iterative_scan)",
      "drop_filtered",
      {},
      { filters: { filters: [{ key: "group", value: "odd" }] } },
    ],
    ["a query with efSearch (a transaction for SET LOCAL)", "drop_ef", { hnsw: { efSearch: 20 } }, {}],
    ["a plain query (pool.query)", "drop_plain", {}, {}],
  ];
  it.each(cases)(
    "%s: rejects with ProviderConnectionError, the next one works",
    async (_, table, options, extra) => {
      const proxy = await newProxy();
      const store = open(proxy, table, options);
      await store.add([node("n1", 1), node("n2", 2), node("n3", 3)]);
      const cut = proxy.cutOn("ORDER BY");
      const error = await store
        .query({ queryEmbedding: vec(3), similarityTopK: 2, ...extra })
        .catch((e: unknown) => e);
      await cut;
      expectLost(error);
      const again = await store.query({ queryEmbedding: vec(3), similarityTopK: 1, ...extra });
      expect(again.ids).toEqual(["n3"]);
    },
  );

  it('"terminating connection due to administrator command" (57P01) is a connection error, not a StorageError', async () => {
    const proxy = await newProxy();
    const store = open(proxy, "admin_shutdown");
    await store.add([node("a", 1)]);
    const sql = socket.pool(1);
    await sql.query(
      "CREATE FUNCTION admin_shutdown() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION " +
        "'terminating connection due to administrator command' USING ERRCODE = 'admin_shutdown'; END $$",
    );
    await sql.query(
      "CREATE TRIGGER admin_shutdown BEFORE INSERT ON admin_shutdown FOR EACH ROW EXECUTE FUNCTION admin_shutdown()",
    );
    const opened = proxy.opened;
    const error = await store.add([node("b", 2)]).catch((e: unknown) => e);
    expectLost(error);
    expect(error).not.toBeInstanceOf(StorageError);
    expect((error as ProviderConnectionError).providerCode).toBe("57P01");
    await sql.query("DROP TRIGGER admin_shutdown ON admin_shutdown");
    await sql.end();
    await store.add([node("b", 2)]);
    expect(await committed("admin_shutdown")).toEqual(["a:a", "b:b"]);
    // The connection that reported 57P01 was given back with the error, so the pool opened a new one.
    expect(proxy.opened).toBe(opened + 1);
  });

  it("a server restart mid-batch: the batch fails cleanly, calls fail while it is down, the next one reconnects", async () => {
    const proxy = await newProxy();
    const store = open(proxy, "restart", { batchSize: 2 });
    await store.add([node("a", 1), node("b", 2), node("c", 3), node("d", 4)]);
    const before = await committed("restart");
    const restart = proxy.cutOn("INSERT INTO", 2).then(() => socket.stop());
    const batch = [1, 2, 3, 4, 5, 6].map((i) => node(`r${i}`, i + 4));
    const error = await store.add(batch).catch((e: unknown) => e);
    await restart;
    expectLost(error);
    const down = await store.count().catch((e: unknown) => e);
    expect(down).toBeInstanceOf(ProviderConnectionError);
    await socket.start(); // the same port
    expect(await committed("restart")).toEqual(before);
    await store.add(batch);
    expect(await store.count()).toBe(10);
    expect((await store.query({ queryEmbedding: vec(10), similarityTopK: 1 })).ids).toEqual(["r6"]);
  });
});

describe("PgVectorStore: the pool it opens", () => {
  it("200 concurrent queries on a pool of 10 all succeed, over at most 10 connections", async () => {
    const proxy = await newProxy();
    const store = open(proxy, "load", { pool: { max: 10, connectionTimeoutMillis: 60_000 } });
    await store.add(Array.from({ length: 20 }, (_, i) => node(`n${i}`, i)));
    const opened = proxy.opened;
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => store.query({ queryEmbedding: vec(i % 20), similarityTopK: 1 })),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    expect(ok).toHaveLength(200);
    expect(ok.map((r) => r.value.ids[0])).toEqual(Array.from({ length: 200 }, (_, i) => `n${i % 20}`));
    expect(proxy.opened - opened).toBeLessThanOrEqual(10);
    expect(proxy.opened - opened).toBeGreaterThan(1);
  });

  it("past connectionTimeoutMillis with every connection busy: ProviderTimeoutError naming the pool size and wait", async () => {
    const proxy = await newProxy();
    const store = open(proxy, "exhausted", {
      pool: { max: 2, connectionTimeoutMillis: 250, idleTimeoutMillis: 60_000 },
    });
    await store.add([node("a", 1), node("b", 2)]);
    // Two connections open and idle in the pool.
    for (let i = 0; i < 5 && proxy.open < 2; i++) await Promise.all([store.count(), store.count()]);
    expect(proxy.open).toBe(2);
    // Another session holds a lock on the table: the two queries that get a connection wait on the server.
    const locker = socket.pool(1);
    const lock = await locker.connect();
    await lock.query("BEGIN");
    await lock.query('LOCK TABLE "exhausted" IN ACCESS EXCLUSIVE MODE');
    const failures: unknown[] = [];
    let allFailed: () => void = () => undefined;
    const fourFailed = new Promise<void>((resolve) => {
      allFailed = resolve;
    });
    const calls = Array.from({ length: 6 }, () =>
      store.query({ queryEmbedding: vec(2), similarityTopK: 1 }).then(
        () => "ok",
        (e: unknown) => {
          failures.push(e);
          if (failures.length === 4) allFailed();
          return "failed";
        },
      ),
    );
    await fourFailed;
    await lock.query("COMMIT");
    lock.release();
    await locker.end();
    // (Which rows the two return is not asserted: PGlite's socket server runs the two connections' queued
    // extended-protocol messages in one session, and may interleave them; a real server keeps them apart.)
    expect((await Promise.all(calls)).sort()).toEqual(["failed", "failed", "failed", "failed", "ok", "ok"]);
    for (const e of failures) {
      expect(e).toBeInstanceOf(ProviderTimeoutError);
      expect((e as Error).message).toMatch(
        /No free Postgres connection to 127\.0\.0\.1:\d+: all 2 connections of the pool were busy for 250 ms.*raise pool\.max/,
      );
    }
  });

  it("a caller's pg Pool with connectionTimeoutMillis: the error says to size that Pool", async () => {
    const pool = socket.pool(1);
    pool.options.connectionTimeoutMillis = 100;
    const store = new PgVectorStore({ client: pool, dimensions: 4, tableName: "caller_pool" });
    stores.push(store);
    await store.add([node("a", 1)]);
    const held = await pool.connect();
    const error = await store.count().catch((e: unknown) => e);
    held.release();
    expect(error).toBeInstanceOf(ProviderTimeoutError);
    expect((error as Error).message).toMatch(
      /all 1 connections .* 100 ms.*max or connectionTimeoutMillis of the pg Pool/,
    );
    expect(await store.count()).toBe(1);
  });

  it("refuses pool options it cannot apply, and bad values, naming the field", async () => {
    const proxy = await newProxy();
    expect(() => new PgVectorStore({ client: socket.pool(1), dimensions: 4, pool: { max: 5 } })).toThrow(
      /Invalid pool: .*your own pg Pool/,
    );
    expect(() => open(proxy, "x", { pool: { max: 0 } })).toThrow(
      /Invalid pool\.max: expected an integer from 1/,
    );
    expect(() => open(proxy, "x", { pool: { connectionTimeoutMillis: 1.5 } })).toThrow(
      /pool\.connectionTimeoutMillis/,
    );
    expect(() => open(proxy, "x", { statementTimeoutMs: -1 })).toThrow(/Invalid statementTimeoutMs/);
  });
});

/** A trigger that fails an INSERT the way Postgres cancels a statement past statement_timeout, when one is set. */
async function timeoutGuard(table: string): Promise<void> {
  const sql = socket.pool(1);
  await sql.query(
    "CREATE OR REPLACE FUNCTION timeout_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN " +
      "IF current_setting('statement_timeout') <> '0' THEN RAISE EXCEPTION " +
      "'canceling statement due to statement timeout' USING ERRCODE = 'query_canceled'; END IF; RETURN NEW; END $$",
  );
  await sql.query(
    `CREATE TRIGGER timeout_guard BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION timeout_guard()`,
  );
  await sql.end();
}

async function show(): Promise<string> {
  const sql = socket.pool(1);
  const { rows } = await sql.query<{ statement_timeout: string }>("SHOW statement_timeout");
  await sql.end();
  return rows[0]!.statement_timeout;
}

describe("PgVectorStore: statementTimeoutMs", () => {
  it("on a caller's Pool: SET LOCAL in the call's transaction, 57014 → ProviderTimeoutError, the session untouched", async () => {
    const pool = socket.pool(2);
    const store = new PgVectorStore({
      client: pool,
      dimensions: 4,
      tableName: "st_local",
      statementTimeoutMs: 1234,
    });
    const plain = new PgVectorStore({ client: pool, dimensions: 4, tableName: "st_local" });
    stores.push(store, plain);
    await plain.add([node("a", 1)]);
    await timeoutGuard("st_local");
    const error = await store.add([node("b", 2)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderTimeoutError);
    expect((error as ProviderTimeoutError).providerCode).toBe("57014");
    expect((error as Error).message).toMatch(
      /canceled a statement that ran longer than statementTimeoutMs: 1234 ms.*Raise statementTimeoutMs/,
    );
    expect(await committed("st_local")).toEqual(["a:a"]);
    expect((await pool.query("SHOW statement_timeout")).rows[0].statement_timeout).toBe("0");
    await plain.add([node("b", 2)]); // no timeout set: the guard lets it through
    expect(await committed("st_local")).toEqual(["a:a", "b:b"]);
  });

  it("single statements (query, count) also run under it", async () => {
    const pool = socket.pool(2);
    const store = new PgVectorStore({
      client: pool,
      dimensions: 4,
      tableName: "st_view",
      statementTimeoutMs: 1234,
    });
    const plain = new PgVectorStore({ client: pool, dimensions: 4, tableName: "st_view" });
    stores.push(store, plain);
    await plain.add([node("a", 1), node("b", 2)]);
    await store.count(); // set up, while the table is a table
    await pool.query(
      "CREATE FUNCTION timeout_check() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN " +
        "IF current_setting('statement_timeout') <> '0' THEN RAISE EXCEPTION " +
        "'canceling statement due to statement timeout' USING ERRCODE = 'query_canceled'; END IF; RETURN true; END $$",
    );
    await pool.query("ALTER TABLE st_view RENAME TO st_view_rows");
    await pool.query("CREATE VIEW st_view AS SELECT * FROM st_view_rows WHERE timeout_check()");
    for (const call of [
      () => store.query({ queryEmbedding: vec(2), similarityTopK: 1 }),
      () => store.count(),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderTimeoutError);
    }
    expect((await plain.query({ queryEmbedding: vec(2), similarityTopK: 1 })).ids).toEqual(["b"]);
    expect(await plain.count()).toBe(2);
  });

  it("in-process PGlite: the same SET LOCAL and mapping (PGlite itself cannot cancel a running statement)", async () => {
    // The socket's PGlite, used in-process: no socket traffic runs meanwhile.
    const db = socket.db;
    const store = new PgVectorStore({
      pglite: db,
      dimensions: 4,
      tableName: "st_inproc",
      statementTimeoutMs: 500,
    });
    await store.add([node("a", 1)]);
    await timeoutGuard("st_inproc");
    const error = await store.add([node("b", 2)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderTimeoutError);
    expect((error as Error).message).toMatch(/PGlite \(in-process\) canceled .*statementTimeoutMs: 500 ms/);
    expect(await store.count()).toBe(1);
    expect((await db.query<{ t: string }>("SELECT current_setting('statement_timeout') AS t")).rows).toEqual([
      { t: "0" },
    ]);
  });

  it("on the pool it opens: SET statement_timeout on each of its connections", async () => {
    const store = open(await newProxy(), "st_session", { statementTimeoutMs: 4321 });
    await store.add([node("z", 0)]); // reads create nothing; the first write creates the table
    // PGlite serves every connection from one session, so the pool's SET shows on any connection.
    expect(await show()).toBe("4321ms");
    await timeoutGuard("st_session");
    const error = await store.add([node("a", 1)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderTimeoutError);
    expect((error as Error).message).toContain("statementTimeoutMs: 4321 ms");
    await store.close();
    const reset = socket.pool(1);
    await reset.query("RESET statement_timeout");
    await reset.end();
  });
});
