import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { afterAll, beforeAll, describe } from "vitest";
import { PgVectorStore } from "../../../src/storage/vector-store/pgvector/index.js";
import { type PgHarness, pgVectorStoreSuite } from "./pg-vector-suite.js";

describe("PgVectorStore on in-process PGlite", () => {
  let db: PGlite;
  beforeAll(async () => {
    db = new PGlite({ extensions: { vector } });
    await db.waitReady;
  });
  afterAll(() => db?.close());

  pgVectorStoreSuite(
    (): PgHarness => ({
      open: (options) => new PgVectorStore({ ...options, pglite: db }),
      sql: async (text, values) => (await db.query(text, values)).rows,
    }),
  );
});
