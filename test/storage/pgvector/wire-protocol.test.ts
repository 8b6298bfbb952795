import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import pg from "pg";
import { afterAll, beforeAll, describe } from "vitest";
import { PgVectorStore } from "../../../src/storage/vector-store/pgvector/index.js";
import { type PgHarness, pgVectorStoreSuite } from "./pg-vector-suite.js";

/** The same suite, with `pg` talking the Postgres wire protocol to a PGlite served on 127.0.0.1 (one connection). */
describe("PgVectorStore over the Postgres wire protocol (pg Pool → PGLiteSocketServer)", () => {
  let db: PGlite;
  let server: PGLiteSocketServer;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = new PGlite({ extensions: { vector } });
    server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1" });
    await server.start();
    const [host, port] = server.getServerConn().split(":");
    pool = new pg.Pool({ host, port: Number(port), user: "postgres", database: "postgres", max: 1 });
  });
  afterAll(async () => {
    await pool?.end();
    await server?.stop();
    await db?.close();
  });

  pgVectorStoreSuite(
    (): PgHarness => ({
      open: (options) => new PgVectorStore({ ...options, client: pool }),
      sql: async (text, values) => (await pool.query(text, values)).rows,
    }),
  );
});
