import { mkdir } from "node:fs/promises";
import { InvalidArgumentError, StorageError } from "../../../errors/index.js";
import type { Metadata, NodeWithScore, TextNode, TextNodeJSON } from "../../../schema/node.js";
import { optionalPeer } from "../../../utils/optional-peer.js";
import { describe } from "../../../utils/validate.js";
import { validateFilters } from "../metadata-filters.js";
import type {
  VectorStore,
  VectorStoreAddOptions,
  VectorStoreQuery,
  VectorStoreQueryResult,
} from "../types.js";
import { checkVector } from "../vector-input.js";
import { RowWriter } from "./bulk-load.js";
import { nodeRows, vectorLiteral } from "./copy-rows.js";
import { nodeFromRow } from "./node-row.js";
import {
  type PgVectorBulkOptions,
  type PgVectorHnswOptions,
  type PgVectorStoreOptions,
  quoteIdent,
  type ResolvedOptions,
  resolveOptions,
} from "./options.js";
import {
  type PGliteLike,
  pgliteRunner,
  pgRunner,
  poolRunner,
  type QueryRunner,
  storageError,
  targetOf,
} from "./query-runner.js";
import { hnswIndexSql, missingExtension, setupTable, type TableInfo } from "./setup.js";
import { type PgKeywordQuery, type PgKeywordSearchable, PgTextSearch } from "./text-search.js";
import { type VectorSearch, vectorQuery, zeroVectorQuery } from "./vector-query.js";

/** Options of {@link PgVectorStore.embedded}: the store's options, plus where PGlite keeps its files. */
export type PgVectorEmbeddedOptions = Omit<PgVectorStoreOptions, "connectionString" | "client" | "pglite"> & {
  /** A directory for the database files (created when missing); in memory when omitted. */
  dataDir?: string;
};

type PGliteModule = typeof import("@electric-sql/pglite");
type PgVectorModule = typeof import("@electric-sql/pglite-pgvector");
const pglitePeer = optionalPeer<PGliteModule>(
  "@electric-sql/pglite",
  "PgVectorStore.embedded",
  () => import("@electric-sql/pglite"),
);
const pgvectorPeer = optionalPeer<PgVectorModule>(
  "@electric-sql/pglite-pgvector",
  "PgVectorStore.embedded",
  () => import("@electric-sql/pglite-pgvector"),
);

interface Row {
  id: string;
  text: string;
  metadata: Metadata | null;
  node_info: Partial<TextNodeJSON> | null;
  distance: number | null;
}

/**
 * A {@link VectorStore} in Postgres with pgvector: one row per node (`id`, `ref_doc_id`, `text`, `metadata jsonb`,
 * `node_info jsonb`, `embedding vector(dimensions)`), so `query` returns whole nodes (`storesText` is true).
 *
 * It reads the catalog before its first call (one statement, no lock): the table's dimensions and its HNSW index's
 * distance must match the options. Reads never create anything (a missing table reads as empty, or throws with
 * `createTable: false`); the first `add` creates only what is missing: the vector extension, the schema, the table,
 * an HNSW index for the chosen distance, and indexes on `ref_doc_id` and (GIN) `metadata`. `add` upserts in one
 * transaction (all or nothing); large adds go through a staging table (`COPY`) and, into an empty table, build the
 * HNSW index after the load. `query` ranks with the distance operator and reports a similarity, higher is
 * better: `1 - cosine distance` (cosine; a zero vector scores 0 and ranks last), the inner product
 * (`inner_product`), or the negative Euclidean distance (`l2`). Each query is one statement that sets
 * `hnsw.ef_search` from `similarityTopK` (see {@link PgVectorHnswOptions}); `docIds` and metadata `filters` run in
 * SQL (with HNSW, pgvector ≥ 0.8 iterative scans keep filtered queries from returning too few rows); `hnsw: false`
 * searches exactly even on a table that has an HNSW index.
 *
 * A node's document is its `refDocId`, or its own id when it has none (as in `SimpleVectorStore`).
 *
 * @example
 * ```ts
 * const store = new PgVectorStore({ connectionString: process.env.DATABASE_URL, dimensions: 1536 });
 * const index = await VectorStoreIndex.fromDocuments(docs, { storageContext: new StorageContext({ vectorStore: store }) });
 * const local = await PgVectorStore.embedded({ dataDir: "./pgdata", dimensions: 384 }); // in-process PGlite
 * ```
 */
export class PgVectorStore implements VectorStore, PgKeywordSearchable {
  readonly storesText = true;
  private readonly options: ResolvedOptions;
  private readonly source: PgVectorStoreOptions;
  private readonly table: string;
  private ownsPglite = false;
  private ready: Promise<TableInfo> | undefined;
  private connecting: Promise<QueryRunner> | undefined;
  private runner: QueryRunner | undefined;
  private writer: RowWriter | undefined;
  private closed = false;
  private readonly textSearch: PgTextSearch;

  constructor(options: PgVectorStoreOptions) {
    this.options = resolveOptions(options);
    this.source = options;
    this.table = `${quoteIdent(this.options.schemaName)}.${quoteIdent(this.options.tableName)}`;
    this.textSearch = new PgTextSearch(this.table, this.options, this.options.textSearch);
  }

  /**
   * A store in an in-process PGlite database with pgvector (needs `@electric-sql/pglite` and
   * `@electric-sql/pglite-pgvector`): on disk in `dataDir`, else in memory. `close()` closes the database.
   *
   * @example
   * ```ts
   * const store = await PgVectorStore.embedded({ dataDir: "./.streamdex/pg", dimensions: 384 });
   * ```
   */
  static async embedded(options: PgVectorEmbeddedOptions): Promise<PgVectorStore> {
    const { dataDir, ...rest } = options ?? ({} as PgVectorEmbeddedOptions);
    if (dataDir !== undefined && (typeof dataDir !== "string" || dataDir === "")) {
      throw new InvalidArgumentError("dataDir", `expected a directory path, got ${describe(dataDir)}.`);
    }
    resolveOptions({ ...rest, pglite: { query: async () => ({ rows: [] }) } as unknown as PGliteLike });
    const [{ PGlite }, { vector }] = await Promise.all([pglitePeer.load(), pgvectorPeer.load()]);
    // PGlite creates only the last directory of the path, and reports a failure as an unhandled rejection.
    if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
    const db =
      dataDir === undefined
        ? new PGlite({ extensions: { vector } })
        : new PGlite(dataDir, { extensions: { vector } });
    const store = new PgVectorStore({ ...rest, pglite: db as unknown as PGliteLike });
    store.ownsPglite = true;
    return store;
  }

  /** Dimensions of the stored vectors. */
  get dimensions(): number {
    return this.options.dimensions;
  }

  /** The quoted, schema-qualified table name, e.g. `"public"."streamdex_nodes"`. */
  get tableName(): string {
    return this.table;
  }

  /**
   * Upserts the nodes (by id) in one transaction: on any error, or an abort of `options.signal`, nothing is
   * written. Large adds load in bulk (see {@link PgVectorBulkOptions}) and report `options.onProgress`.
   */
  async add(nodes: TextNode[], options: VectorStoreAddOptions = {}): Promise<string[]> {
    const rows = nodeRows(nodes, this.dimensions);
    if (rows.length === 0) return [];
    await (await this.rowWriter()).write(rows, options);
    return nodes.map((node) => node.id);
  }

  /**
   * Creates now what the first `add` would create when missing (the vector extension, schema, table and indexes),
   * e.g. in a deploy step, so that processes opened with `createTable: false` (or a read-only role) find the table.
   *
   * @example
   * ```ts
   * await new PgVectorStore({ connectionString, dimensions: 384 }).ensureTable();
   * ```
   */
  async ensureTable(): Promise<void> {
    await this.rowWriter();
  }

  private async rowWriter(): Promise<RowWriter> {
    const { runner } = await this.setup("write");
    await this.textSearch.ensure(runner); // a table made before full-text search gets its column (write path only)
    this.writer ??= new RowWriter(runner, this.table, this.options);
    return this.writer;
  }

  /**
   * Starts a load made of several `add`s, each committed on its own (e.g. an ingest that commits per batch): when
   * the table is empty, drops its HNSW index so the adds load without it. Call {@link endBulkLoad} after the last
   * add; until then queries search exactly. Returns whether the index was dropped.
   */
  async beginBulkLoad(): Promise<boolean> {
    return (await this.rowWriter()).deferIndexes();
  }

  /**
   * Ends a load: builds the HNSW index when the table has none (once, over all rows, with `maintenance_work_mem`
   * raised) and `ANALYZE`s the table. Safe to call at any time: after a load that stopped half-way it repairs.
   */
  async endBulkLoad(options: VectorStoreAddOptions = {}): Promise<void> {
    await (await this.rowWriter()).finishLoad(
      this.options.hnsw === false ? undefined : hnswIndexSql(this.options, this.table),
      options,
    );
  }

  /** Deletes every row of the document `refDocId`. */
  async delete(refDocId: string): Promise<void> {
    if (typeof refDocId !== "string") {
      throw new InvalidArgumentError("refDocId", `expected a string, got ${describe(refDocId)}.`);
    }
    const { runner, info } = await this.setup("read");
    if (!info.exists) return;
    await this.run("could not delete", () =>
      runner.query(`DELETE FROM ${this.table} WHERE ref_doc_id = $1`, [refDocId]),
    );
  }

  /**
   * The `similarityTopK` nearest nodes, best first, with `docIds` and metadata `filters` applied in SQL. Results
   * carry whole nodes (`nodes`), rebuilt from the rows.
   */
  async query(query: VectorStoreQuery): Promise<VectorStoreQueryResult> {
    if (query === null || typeof query !== "object") {
      throw new InvalidArgumentError(
        "query",
        `expected { queryEmbedding, similarityTopK }, got ${describe(query)}.`,
      );
    }
    const topK = query.similarityTopK;
    if (typeof topK !== "number" || !Number.isInteger(topK) || topK < 1) {
      throw new InvalidArgumentError(
        "similarityTopK",
        `expected an integer >= 1 (how many results to return, e.g. 2), got ${describe(topK)}.`,
      );
    }
    const embedding = checkVector("queryEmbedding", query.queryEmbedding);
    if (embedding.length !== this.dimensions) {
      throw new InvalidArgumentError(
        "queryEmbedding",
        `it has ${embedding.length} dimensions but the store holds ${this.dimensions}-dimensional vectors: ` +
          "embed the query with the model used for the nodes.",
      );
    }
    const { docIds, filters } = query;
    if (docIds !== undefined && (!Array.isArray(docIds) || docIds.some((id) => typeof id !== "string"))) {
      throw new InvalidArgumentError(
        "docIds",
        `expected an array of document ids (strings), got ${describe(docIds)}.`,
      );
    }
    if (docIds !== undefined && docIds.length === 0) return { nodes: [], ids: [], similarities: [] };
    if (filters !== undefined) validateFilters(filters);
    const { runner, info } = await this.setup("read");
    if (!info.exists) return { nodes: [], ids: [], similarities: [] };
    const search: VectorSearch = {
      table: this.table,
      options: this.options,
      info,
      vector: vectorLiteral(embedding),
      topK,
      filters,
      docIds,
    };
    const main = vectorQuery(search);
    const rows = await this.run("could not query", () => runner.query<Row>(main.sql, main.values));
    const zeros = zeroVectorQuery(
      search,
      rows.map((row) => row.id),
    );
    if (zeros !== undefined) {
      rows.push(...(await this.run("could not query", () => runner.query<Row>(zeros.sql, zeros.values))));
    }
    return {
      nodes: rows.map(nodeFromRow),
      ids: rows.map((row) => row.id),
      similarities: rows.map((row) => this.similarity(row.distance)),
    };
  }

  /**
   * Postgres full-text search over the same rows (the generated `text_search_tsv` column and its GIN index): the
   * `similarityTopK` nodes with the most of the query's words, best first, whole, with `docIds` and `filters` as in
   * {@link query}. See {@link PgTextSearch} for the ranking; `textSearch: false` stores throw `StorageError`.
   */
  keywordSearch(query: PgKeywordQuery): Promise<NodeWithScore[]> {
    return this.textSearch.search(query, async () => {
      const { runner, info } = await this.setup("read");
      return info.exists ? runner : undefined; // a missing table finds nothing (as query does)
    });
  }

  /** Number of rows in the table. */
  async count(): Promise<number> {
    const { runner, info } = await this.setup("read");
    if (!info.exists) return 0;
    const rows = await this.run("could not count", () =>
      runner.query<{ n: number | string }>(`SELECT count(*)::int AS n FROM ${this.table}`),
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Deletes every row (the table and its indexes stay). */
  async clear(): Promise<void> {
    const { runner, info } = await this.setup("read");
    if (!info.exists) return;
    await this.run("could not clear", () => runner.query(`DELETE FROM ${this.table}`));
  }

  /** Ends the pool the store opened (from `connectionString`) or the PGlite of `embedded()`; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const runner = this.runner ?? (this.ownsPglite ? this.makeRunnerSync() : undefined);
    await runner?.close();
  }

  private similarity(distance: number | null): number {
    if (distance === null || Number.isNaN(distance)) return 0;
    return this.options.distance === "cosine" ? 1 - distance : -distance;
  }

  private async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw storageError(`${what} ${this.table}`, error);
    }
  }

  private makeRunnerSync(): QueryRunner | undefined {
    const { client, pglite } = this.source;
    const settings = this.options.connection;
    if (pglite !== undefined) return pgliteRunner(pglite, this.ownsPglite, settings);
    if (client !== undefined) return pgRunner(client, false, targetOf(client), settings);
    return undefined;
  }

  /**
   * Connects, and checks the table in the catalog (no DDL, no lock) until it exists. For `"write"` with
   * `createTable`, creates what is missing, once (retried after a failure). Throws when the table is missing and the
   * store may not create it.
   */
  private async setup(mode: "read" | "write"): Promise<{ runner: QueryRunner; info: TableInfo }> {
    if (this.closed) throw new StorageError(`the PgVectorStore for ${this.table} is closed.`);
    if (this.connecting === undefined) {
      const connecting = (async () => {
        this.runner ??=
          this.makeRunnerSync() ?? (await poolRunner(this.source.connectionString!, this.options.connection));
        return this.runner;
      })();
      this.connecting = connecting;
      connecting.catch(() => {
        if (this.connecting === connecting) this.connecting = undefined;
      });
    }
    const runner = await this.connecting;
    const create = mode === "write" && this.options.createTable;
    const cached = await this.ready?.catch(() => undefined);
    if (cached?.exists && (cached.complete || !create)) return { runner, info: cached };
    const ready = setupTable(runner, this.options, this.table, { create });
    this.ready = ready;
    const forget = () => {
      if (this.ready === ready) this.ready = undefined;
    };
    ready.then((info) => info.exists || forget(), forget);
    const info = await ready;
    if (!info.exists && !this.options.createTable) {
      if (!info.extension) throw missingExtension(undefined, "absent");
      throw new StorageError(
        `the table ${this.table} does not exist, and this store may not create it (createTable: false): run ` +
          "`streamdex ingest` first, or call add() on a store that may create it (createTable: true, the default).",
      );
    }
    return { runner, info };
  }
}
