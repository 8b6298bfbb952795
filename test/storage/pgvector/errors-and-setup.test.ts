import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, ProviderConnectionError, StorageError, TextNode } from "../../../src/index.js";
import { PgVectorStore } from "../../../src/storage/vector-store/pgvector/index.js";
import { filtersToSql, SqlParams } from "../../../src/storage/vector-store/pgvector/sql-filters.js";

/** A TCP port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const node = (id: string, embedding: number[]) => new TextNode({ id, text: id, embedding, metadata: { id } });

describe("PgVectorStore setup and errors", () => {
  it("says to install pgvector when the database has no vector extension", async () => {
    const db = new PGlite();
    try {
      const store = new PgVectorStore({ pglite: db, dimensions: 3 });
      const error = await store.add([node("a", [1, 0, 0])]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as Error).message).toMatch(
        /pgvector extension.*install pgvector.*superuser.*CREATE EXTENSION vector/s,
      );
    } finally {
      await db.close();
    }
  });

  it("reports an unreachable server as ProviderConnectionError naming host:port, never the password", async () => {
    const port = await closedPort();
    const password = "s3cret-Pa55word";
    const store = new PgVectorStore({
      connectionString: `postgres://streamdex:${password}@127.0.0.1:${port}/app`,
      dimensions: 3,
    });
    try {
      const error = await store
        .query({ queryEmbedding: [1, 0, 0], similarityTopK: 1 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderConnectionError);
      const e = error as ProviderConnectionError;
      expect(e.provider).toBe("postgres");
      expect(e.message).toContain(`127.0.0.1:${port}`);
      expect(e.message).toContain("ECONNREFUSED");
      expect(`${e.message} ${e.stack} ${JSON.stringify(e)}`).not.toContain(password);
    } finally {
      await store.close();
    }
  });

  it("opens its own pg Pool from a connection string (over the wire protocol) and ends it on close", async () => {
    const db = new PGlite({ extensions: { vector } });
    const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1" });
    await server.start();
    try {
      const store = new PgVectorStore({
        connectionString: `postgres://postgres:pw@${server.getServerConn()}/postgres`,
        schemaName: "my schema",
        tableName: 'odd "name"',
        dimensions: 3,
      });
      await store.add([node("a", [1, 0, 0]), node("b", [0, 1, 0])]);
      expect((await store.query({ queryEmbedding: [0, 1, 0], similarityTopK: 1 })).ids).toEqual(["b"]);
      expect(store.tableName).toBe('"my schema"."odd ""name"""');
      await store.close();
      await expect(store.count()).rejects.toThrow(/closed/);
    } finally {
      await server.stop();
      await db.close();
    }
  });

  it("embedded() keeps the data on disk in dataDir across reopenings", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "streamdex-pg-"));
    try {
      // A path whose parents do not exist yet is created whole.
      const nested = join(dataDir, "index", "pg");
      const first = await PgVectorStore.embedded({ dataDir: nested, dimensions: 3 });
      await first.add([node("a", [1, 0, 0]), node("b", [0, 1, 0])]);
      await first.close();
      const second = await PgVectorStore.embedded({ dataDir: nested, dimensions: 3 });
      const { nodes } = await second.query({ queryEmbedding: [0, 1, 0], similarityTopK: 2 });
      expect(nodes!.map((n) => [n.id, n.metadata])).toEqual([
        ["b", { id: "b" }],
        ["a", { id: "a" }],
      ]);
      await second.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("validates its options", () => {
    const pglite = {
      query: async () => ({ rows: [] }),
      transaction: async () => undefined,
      close: async () => {},
    };
    const bad: unknown[] = [
      { dimensions: 3 },
      { pglite, connectionString: "postgres://x", dimensions: 3 },
      { pglite },
      { pglite, dimensions: 0 },
      { pglite, dimensions: 3, distance: "dot" },
      { pglite, dimensions: 3, hnsw: { m: 1 } },
      { pglite, dimensions: 3000 },
      { pglite, dimensions: 3, tableName: "" },
      { pglite, dimensions: 3, batchSize: 0 },
      { pglite, dimensions: 3, createTable: "yes" },
      { pglite, dimensions: 3, hnsw: { efSearchFactor: 0 } },
      { pglite, dimensions: 3, hnsw: { efSearchMin: 1001 } },
    ];
    for (const options of bad) {
      expect(() => new PgVectorStore(options as never), JSON.stringify(options)).toThrow(
        InvalidArgumentError,
      );
    }
    expect(() => new PgVectorStore({ pglite: pglite as never, dimensions: 3000, hnsw: false })).not.toThrow();
  });

  it("binds every filter key and value as a parameter", () => {
    const params = new SqlParams();
    const sql = filtersToSql(
      {
        condition: "or",
        filters: [
          { key: "a'; DROP TABLE x; --", value: "'); DELETE FROM y; --" },
          { key: "n", value: 3, operator: ">=" },
          { key: "s", value: ["q'"], operator: "nin" },
        ],
      },
      "metadata",
      params,
    );
    expect(sql).not.toMatch(/DROP|DELETE|q'/);
    expect(params.values).toContain("a'; DROP TABLE x; --");
    expect(params.values).toContain('"\'); DELETE FROM y; --"');
    expect(() =>
      filtersToSql({ filters: [{ key: "k", value: [1], operator: ">" }] }, "metadata", params),
    ).toThrow(InvalidArgumentError);
  });
});
