import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import pg from "pg";
import { afterAll, beforeAll, describe } from "vitest";
import type { PGliteLike, PgClientLike } from "../../../src/storage/vector-store/pgvector/index.js";
import { type KeywordHarness, keywordSearchSuite } from "./keyword-search-suite.js";

type Record = ((sql: string, values: unknown[] | undefined) => void) | undefined;

describe("keyword search on in-process PGlite", () => {
  let db: PGlite;
  beforeAll(async () => {
    db = new PGlite({ extensions: { vector } });
    await db.waitReady;
  }, 60_000);
  afterAll(() => db?.close());

  keywordSearchSuite(
    (): KeywordHarness => ({
      connection: (record: Record) => {
        if (record === undefined) return { pglite: db as unknown as PGliteLike };
        const recording: PGliteLike = {
          query: (text, values) => {
            record(text, values);
            return db.query(text, values);
          },
          transaction: (fn) => db.transaction((tx) => fn(tx)),
          close: () => db.close(),
        };
        return { pglite: recording };
      },
      sql: async <R>(text: string, values?: unknown[]) => (await db.query<R>(text, values)).rows,
    }),
  );
});

/** The same suite through `pg` over the Postgres wire protocol, to a PGlite served on 127.0.0.1 port 0. */
describe("keyword search over the Postgres wire protocol (pg Pool → PGLiteSocketServer)", () => {
  let db: PGlite;
  let server: PGLiteSocketServer;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = new PGlite({ extensions: { vector } });
    server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1" });
    await server.start();
    const [host, port] = server.getServerConn().split(":");
    // One connection: a SET from the test applies to the statement explained next.
    pool = new pg.Pool({ host, port: Number(port), user: "postgres", database: "postgres", max: 1 });
  }, 60_000);
  afterAll(async () => {
    await pool?.end();
    await server?.stop();
    await db?.close();
  });

  keywordSearchSuite(
    (): KeywordHarness => ({
      connection: (record: Record) => {
        if (record === undefined) return { client: pool as unknown as PgClientLike };
        // A Client-like wrapper (no totalCount): the store runs its statements one at a time through it.
        const recording: PgClientLike = {
          query: (text: string, values?: unknown[]) => {
            record(text, values);
            return pool.query(text, values);
          },
        };
        return { client: recording };
      },
      sql: async <R>(text: string, values?: unknown[]) => (await pool.query(text, values)).rows as R[],
    }),
  );
});
