import { mkdir } from "node:fs/promises";
import { InvalidArgumentError, StorageError } from "../../../errors/index.js";
import type { NodeWithScore, TextNode } from "../../../schema/node.js";
import { optionalPeer } from "../../../utils/optional-peer.js";
import { describe } from "../../../utils/validate.js";
import { nodeRowValues } from "./node-row.js";
import { type PgTextSearchOptions, quoteIdent, resolveOptions } from "./options.js";
import {
  type PGliteLike,
  type PgClientLike,
  pgliteRunner,
  pgRunner,
  poolRunner,
  type QueryRunner,
  storageError,
  targetOf,
} from "./query-runner.js";
import { SqlParams } from "./sql-filters.js";
import {
  type PgKeywordQuery,
  type PgKeywordSearchable,
  PgTextSearch,
  TEXT_SEARCH_COLUMN,
  textSearchColumnSql,
  textSearchIndexName,
} from "./text-search.js";

/** Options of {@link PgKeywordStore}: exactly one of `connectionString`, `client` or `pglite`. */
export interface PgKeywordStoreOptions {
  /** `postgres://user:password@host:5432/db`: the store opens (and `close()` ends) a `pg` Pool. */
  connectionString?: string;
  /** A `pg` Pool, or a connected `pg` Client. The caller ends it. */
  client?: PgClientLike;
  /** A PGlite instance (no extension needed). The caller closes it. */
  pglite?: PGliteLike;
  /** Default `"streamdex_nodes"`. */
  tableName?: string;
  /** Default `"public"`; created when missing. */
  schemaName?: string;
  /** The text search configuration (default `{ config: "english" }`). */
  textSearch?: PgTextSearchOptions;
  /** Rows per `INSERT` statement in `add` (default 500). */
  batchSize?: number;
}

/** Options of {@link PgKeywordStore.embedded}: the store's options, plus where PGlite keeps its files. */
export type PgKeywordEmbeddedOptions = Omit<
  PgKeywordStoreOptions,
  "connectionString" | "client" | "pglite"
> & {
  /** A directory for the database files (created when missing); in memory when omitted. */
  dataDir?: string;
};

type PGliteModule = typeof import("@electric-sql/pglite");
const pglitePeer = optionalPeer<PGliteModule>(
  "@electric-sql/pglite",
  "PgKeywordStore.embedded",
  () => import("@electric-sql/pglite"),
);

/** What the catalog says about the table. */
type TableState = "missing" | "ready";

/**
 * Nodes in a Postgres table without embeddings, found by full-text search: for an index with no embedding model
 * (the command's `--store postgres://…` or `pglite` without `--embed`). The table is a `PgVectorStore` table
 * without its `embedding` column (`id`, `ref_doc_id`, `text`, `metadata`, `node_info`, the generated
 * `text_search_tsv` with its GIN index), so it needs no pgvector; a `PgVectorStore` refuses it, and this store
 * refuses a table with embeddings (open that one with `PgVectorStore`, whose `keywordSearch` is the same search).
 *
 * The table is created on the first `add` (reads only read the catalog: a missing table is empty). `add` upserts
 * by id in one transaction (the node's `embedding`, if any, is not stored).
 *
 * @example
 * ```ts
 * const store = new PgKeywordStore({ connectionString: process.env.DATABASE_URL });
 * await store.add(nodes);
 * const retriever = new PgKeywordRetriever(store, { similarityTopK: 3 });
 * ```
 */
export class PgKeywordStore implements PgKeywordSearchable {
  readonly storesText = true;
  private readonly source: PgKeywordStoreOptions;
  private readonly names: { schemaName: string; tableName: string };
  private readonly batchSize: number;
  private readonly table: string;
  private readonly textSearch: PgTextSearch;
  private runner: Promise<QueryRunner> | undefined;
  private state: TableState = "missing";
  private ownsPglite = false;
  private closed = false;

  constructor(options: PgKeywordStoreOptions) {
    if ((options as { textSearch?: unknown } | null)?.textSearch === false) {
      throw new InvalidArgumentError(
        "textSearch",
        "a PgKeywordStore is found only by full-text search: pass { config } or leave it out.",
      );
    }
    // The same names, limits and connection checks as a PgVectorStore (dimensions do not apply).
    const resolved = resolveOptions({ ...options, dimensions: 1, hnsw: false });
    this.source = options;
    this.names = { schemaName: resolved.schemaName, tableName: resolved.tableName };
    this.batchSize = resolved.batchSize;
    this.table = `${quoteIdent(resolved.schemaName)}.${quoteIdent(resolved.tableName)}`;
    this.textSearch = new PgTextSearch(this.table, this.names, resolved.textSearch);
  }

  /**
   * A store in an in-process PGlite database (needs `@electric-sql/pglite`): on disk in `dataDir`, else in
   * memory. `close()` closes the database.
   */
  static async embedded(options: PgKeywordEmbeddedOptions = {}): Promise<PgKeywordStore> {
    const { dataDir, ...rest } = options;
    if (dataDir !== undefined && (typeof dataDir !== "string" || dataDir === "")) {
      throw new InvalidArgumentError("dataDir", `expected a directory path, got ${describe(dataDir)}.`);
    }
    new PgKeywordStore({ ...rest, pglite: { query: async () => ({ rows: [] }) } as unknown as PGliteLike });
    const { PGlite } = await pglitePeer.load();
    if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
    const db = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
    const store = new PgKeywordStore({ ...rest, pglite: db as unknown as PGliteLike });
    store.ownsPglite = true;
    return store;
  }

  /** The quoted, schema-qualified table name, e.g. `"public"."streamdex_nodes"`. */
  get tableName(): string {
    return this.table;
  }

  /** Upserts the nodes (by id) in one transaction of `batchSize`-row statements: on any error nothing is written. */
  async add(nodes: TextNode[]): Promise<string[]> {
    if (!Array.isArray(nodes)) {
      throw new InvalidArgumentError("nodes", `expected an array of nodes, got ${describe(nodes)}.`);
    }
    if (nodes.length === 0) return [];
    const rows = new Map<string, string[]>();
    for (const node of nodes) rows.set(node.id, nodeRowValues(node)); // the last copy of a repeated id wins
    // Rows in id order: concurrent upserts of overlapping ids lock them in the same order (no deadlock).
    const all = [...rows.values()].sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
    const runner = await this.writable();
    try {
      await runner.transaction(async (q) => {
        for (let start = 0; start < all.length; start += this.batchSize) {
          const params = new SqlParams();
          const values = all
            .slice(start, start + this.batchSize)
            .map(
              (row) =>
                `(${params.add(row[0])}, ${params.add(row[1])}, ${params.add(row[2])}, ` +
                `${params.add(row[3])}::jsonb, ${params.add(row[4])}::jsonb)`,
            );
          await q(
            `INSERT INTO ${this.table} (id, ref_doc_id, text, metadata, node_info) VALUES ${values.join(", ")} ` +
              "ON CONFLICT (id) DO UPDATE SET ref_doc_id = EXCLUDED.ref_doc_id, text = EXCLUDED.text, " +
              "metadata = EXCLUDED.metadata, node_info = EXCLUDED.node_info",
            params.values,
          );
        }
      });
    } catch (error) {
      throw storageError(`could not write to ${this.table}; nothing was written`, error);
    }
    return nodes.map((node) => node.id);
  }

  /** Deletes every row of the document `refDocId` (nothing to do while the table does not exist). */
  async delete(refDocId: string): Promise<void> {
    if (typeof refDocId !== "string") {
      throw new InvalidArgumentError("refDocId", `expected a string, got ${describe(refDocId)}.`);
    }
    const runner = await this.readable();
    if (runner === undefined) return;
    await this.run("could not delete from", () =>
      runner.query(`DELETE FROM ${this.table} WHERE ref_doc_id = $1`, [refDocId]),
    );
  }

  /** Full-text search (see `PgTextSearch`): the `similarityTopK` nodes with the most of the query's words. */
  keywordSearch(query: PgKeywordQuery): Promise<NodeWithScore[]> {
    // A missing table is empty: an empty result, without creating anything.
    return this.textSearch.search(query, () => this.readable());
  }

  /** Number of rows (0 while the table does not exist). */
  async count(): Promise<number> {
    const runner = await this.readable();
    if (runner === undefined) return 0;
    const rows = await this.run("could not count", () =>
      runner.query<{ n: number | string }>(`SELECT count(*)::int AS n FROM ${this.table}`),
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Deletes every row (the table and its indexes stay). */
  async clear(): Promise<void> {
    const runner = await this.readable();
    if (runner !== undefined)
      await this.run("could not clear", () => runner.query(`DELETE FROM ${this.table}`));
  }

  /** Ends the pool the store opened (from `connectionString`) or the PGlite of `embedded()`; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const runner = await this.runner?.catch(() => undefined);
    if (runner !== undefined) await runner.close();
    else if (this.ownsPglite) await this.source.pglite?.close();
  }

  private async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw storageError(`${what} ${this.table}`, error);
    }
  }

  private connect(): Promise<QueryRunner> {
    if (this.closed) {
      return Promise.reject(new StorageError(`the PgKeywordStore for ${this.table} is closed.`));
    }
    if (this.runner === undefined) {
      const { client, pglite, connectionString } = this.source;
      this.runner =
        pglite !== undefined
          ? Promise.resolve(pgliteRunner(pglite, this.ownsPglite))
          : client !== undefined
            ? Promise.resolve(pgRunner(client, false, targetOf(client)))
            : poolRunner(connectionString!);
      this.runner.catch(() => {
        this.runner = undefined;
      });
    }
    return this.runner;
  }

  /** The read path: the runner when the table exists (checked in the catalog until it does), else undefined. */
  private async readable(): Promise<QueryRunner | undefined> {
    const runner = await this.connect();
    if (this.state === "missing") this.state = await this.inspect(runner);
    return this.state === "ready" ? runner : undefined;
  }

  /** The write path: creates the schema, the table and its indexes when missing. */
  private async writable(): Promise<QueryRunner> {
    const runner = await this.connect();
    if ((await this.readable()) !== undefined) {
      await this.textSearch.ensure(runner);
      return runner;
    }
    const { schemaName, tableName } = this.names;
    const config = (this.textSearch.textSearch as { config: string }).config;
    const on = (name: string) =>
      `CREATE INDEX IF NOT EXISTS ${quoteIdent(`${tableName}_${name}`)} ON ${this.table}`;
    await this.run("could not create", async () => {
      await runner.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schemaName)}`);
      await runner.query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (id text PRIMARY KEY, ref_doc_id text NOT NULL, ` +
          "text text NOT NULL, metadata jsonb NOT NULL DEFAULT '{}', node_info jsonb NOT NULL DEFAULT '{}', " +
          `${textSearchColumnSql(config)})`,
      );
      await runner.query(`${on("ref_doc_id_idx")} (ref_doc_id)`);
      await runner.query(`${on("metadata_idx")} USING gin (metadata)`);
      await runner.query(
        `CREATE INDEX IF NOT EXISTS ${quoteIdent(textSearchIndexName(tableName))} ON ${this.table} ` +
          `USING gin (${TEXT_SEARCH_COLUMN})`,
      );
    });
    this.state = await this.inspect(runner);
    await this.textSearch.ensure(runner);
    return runner;
  }

  /** Whether the table exists and is a keyword table; a table with embeddings or other columns is refused. */
  private async inspect(runner: QueryRunner): Promise<TableState> {
    const columns = await this.run("could not look up", () =>
      runner.query<{ name: string; type: string }>(
        "SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute " +
          "WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
        [this.table],
      ),
    );
    if (columns.length === 0) return "missing";
    const embedding = columns.find((c) => c.name === "embedding");
    if (embedding !== undefined) {
      throw new StorageError(
        `the table ${this.table} holds ${embedding.type} embeddings: it is a PgVectorStore table. Open it with ` +
          "PgVectorStore (its keywordSearch searches the same rows), or choose another tableName.",
      );
    }
    const names = new Set(columns.map((c) => c.name));
    if (!["id", "ref_doc_id", "text", "metadata", "node_info"].every((name) => names.has(name))) {
      throw new StorageError(
        `the table ${this.table} exists but is not a streamdex table (its columns differ): choose another tableName.`,
      );
    }
    return "ready";
  }
}
