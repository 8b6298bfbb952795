import { mkdir } from "node:fs/promises";
import { InvalidArgumentError, StorageError } from "../../../errors/index.js";
import { type Metadata, TextNode, type TextNodeJSON } from "../../../schema/node.js";
import { optionalPeer } from "../../../utils/optional-peer.js";
import { describe } from "../../../utils/validate.js";
import type {
  VectorStore,
  VectorStoreAddOptions,
  VectorStoreQuery,
  VectorStoreQueryResult,
} from "../types.js";
import { checkVector } from "../vector-input.js";
import { RowWriter } from "./bulk-load.js";
import { nodeRows, vectorLiteral } from "./copy-rows.js";
import {
  type PgVectorBulkOptions,
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
import { hnswIndexSql, setupTable } from "./setup.js";
import { filtersToSql, SqlParams } from "./sql-filters.js";

/** Options of {@link PgVectorStore.embedded}: the store's options, plus where PGlite keeps its files. */
export type PgVectorEmbeddedOptions = Omit<PgVectorStoreOptions, "connectionString" | "client" | "pglite"> & {
  /** A directory for the database files (created when missing); in memory when omitted. */
  dataDir?: string;
};

const OPERATORS = { cosine: "<=>", inner_product: "<#>", l2: "<->" } as const;

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
 * On first use it runs `CREATE EXTENSION IF NOT EXISTS vector`, creates the schema and table when missing, an HNSW
 * index for the chosen distance, and indexes on `ref_doc_id` and (GIN) `metadata`. `add` upserts in one
 * transaction (all or nothing); large adds go through a staging table (`COPY`) and, into an empty table, build the
 * HNSW index after the load. `query` ranks with the distance operator and reports a similarity, higher is
 * better: `1 - cosine distance` (cosine; a zero vector scores 0 and ranks last), the inner product
 * (`inner_product`), or the negative Euclidean distance (`l2`). `docIds` and metadata `filters` run in SQL (with
 * HNSW, pgvector ≥ 0.8 iterative scans keep filtered queries from returning too few rows).
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
export class PgVectorStore implements VectorStore {
  readonly storesText = true;
  readonly #options: ResolvedOptions;
  readonly #source: PgVectorStoreOptions;
  readonly #table: string;
  #ownsPglite = false;
  #ready: Promise<{ runner: QueryRunner; iterativeScan: boolean }> | undefined;
  #runner: QueryRunner | undefined;
  #writer: RowWriter | undefined;
  #closed = false;

  constructor(options: PgVectorStoreOptions) {
    this.#options = resolveOptions(options);
    this.#source = options;
    this.#table = `${quoteIdent(this.#options.schemaName)}.${quoteIdent(this.#options.tableName)}`;
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
    store.#ownsPglite = true;
    return store;
  }

  /** Dimensions of the stored vectors. */
  get dimensions(): number {
    return this.#options.dimensions;
  }

  /** The quoted, schema-qualified table name, e.g. `"public"."streamdex_nodes"`. */
  get tableName(): string {
    return this.#table;
  }

  /**
   * Upserts the nodes (by id) in one transaction: on any error, or an abort of `options.signal`, nothing is
   * written. Large adds load in bulk (see {@link PgVectorBulkOptions}) and report `options.onProgress`.
   */
  async add(nodes: TextNode[], options: VectorStoreAddOptions = {}): Promise<string[]> {
    const rows = nodeRows(nodes, this.dimensions);
    if (rows.length === 0) return [];
    await (await this.#rowWriter()).write(rows, options);
    return nodes.map((node) => node.id);
  }

  async #rowWriter(): Promise<RowWriter> {
    const { runner } = await this.#setup();
    this.#writer ??= new RowWriter(runner, this.#table, this.#options);
    return this.#writer;
  }

  /**
   * Starts a load made of several `add`s, each committed on its own (e.g. an ingest that commits per batch): when
   * the table is empty, drops its HNSW index so the adds load without it. Call {@link endBulkLoad} after the last
   * add; until then queries search exactly. Returns whether the index was dropped.
   */
  async beginBulkLoad(): Promise<boolean> {
    return (await this.#rowWriter()).deferIndexes();
  }

  /**
   * Ends a load: builds the HNSW index when the table has none (once, over all rows, with `maintenance_work_mem`
   * raised) and `ANALYZE`s the table. Safe to call at any time: after a load that stopped half-way it repairs.
   */
  async endBulkLoad(options: VectorStoreAddOptions = {}): Promise<void> {
    await (await this.#rowWriter()).finishLoad(hnswIndexSql(this.#options, this.#table), options);
  }

  /** Deletes every row of the document `refDocId`. */
  async delete(refDocId: string): Promise<void> {
    if (typeof refDocId !== "string") {
      throw new InvalidArgumentError("refDocId", `expected a string, got ${describe(refDocId)}.`);
    }
    const { runner } = await this.#setup();
    await this.#run("could not delete", () =>
      runner.query(`DELETE FROM ${this.#table} WHERE ref_doc_id = $1`, [refDocId]),
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
    const params = new SqlParams();
    const distance = `embedding ${OPERATORS[this.#options.distance]} ${params.add(vectorLiteral(embedding))}::vector`;
    const where: string[] = [];
    if (filters !== undefined) where.push(filtersToSql(filters, "metadata", params));
    if (docIds !== undefined) {
      if (docIds.length === 0) return { nodes: [], ids: [], similarities: [] };
      where.push(
        `ref_doc_id IN (SELECT jsonb_array_elements_text(${params.add(JSON.stringify(docIds))}::jsonb))`,
      );
    }
    const sql =
      `SELECT id, text, metadata, node_info, ${distance} AS distance FROM ${this.#table}` +
      `${where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`} ORDER BY ${distance} LIMIT ${params.add(topK)}`;
    const { runner, iterativeScan } = await this.#setup();
    const hnsw = this.#options.hnsw;
    const settings: string[] = [];
    if (hnsw !== false && hnsw.efSearch !== undefined)
      settings.push(`SET LOCAL hnsw.ef_search = ${hnsw.efSearch}`);
    if (hnsw !== false && iterativeScan && where.length > 0)
      settings.push("SET LOCAL hnsw.iterative_scan = strict_order");
    const rows = await this.#run("could not query", () =>
      settings.length === 0
        ? runner.query<Row>(sql, params.values)
        : runner.transaction(async (q) => {
            for (const setting of settings) await q(setting);
            return q<Row>(sql, params.values);
          }),
    );
    return {
      nodes: rows.map((row) => this.#nodeOf(row)),
      ids: rows.map((row) => row.id),
      similarities: rows.map((row) => this.#similarity(row.distance)),
    };
  }

  /** Number of rows in the table. */
  async count(): Promise<number> {
    const { runner } = await this.#setup();
    const rows = await this.#run("could not count", () =>
      runner.query<{ n: number | string }>(`SELECT count(*)::int AS n FROM ${this.#table}`),
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Deletes every row (the table and its indexes stay). */
  async clear(): Promise<void> {
    const { runner } = await this.#setup();
    await this.#run("could not clear", () => runner.query(`DELETE FROM ${this.#table}`));
  }

  /** Ends the pool the store opened (from `connectionString`) or the PGlite of `embedded()`; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const runner = this.#runner ?? (this.#ownsPglite ? this.#makeRunnerSync() : undefined);
    await runner?.close();
  }

  #similarity(distance: number | null): number {
    if (distance === null || Number.isNaN(distance)) return 0;
    return this.#options.distance === "cosine" ? 1 - distance : -distance;
  }

  #nodeOf(row: Row): TextNode {
    const info = row.node_info ?? {};
    return TextNode.fromJSON({
      type: info.type === "document" ? "document" : "text",
      id: row.id,
      text: row.text,
      metadata: row.metadata ?? {},
      excludedEmbedMetadataKeys: info.excludedEmbedMetadataKeys ?? [],
      excludedLlmMetadataKeys: info.excludedLlmMetadataKeys ?? [],
      refDocId: info.refDocId ?? undefined,
      startCharIdx: info.startCharIdx ?? undefined,
      endCharIdx: info.endCharIdx ?? undefined,
    });
  }

  async #run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw storageError(`${what} ${this.#table}`, error);
    }
  }

  #makeRunnerSync(): QueryRunner | undefined {
    const { client, pglite } = this.#source;
    if (pglite !== undefined) return pgliteRunner(pglite, this.#ownsPglite);
    if (client !== undefined) return pgRunner(client, false, targetOf(client));
    return undefined;
  }

  /** Connects and creates the extension, schema, table and indexes, once (retried after a failure). */
  #setup(): Promise<{ runner: QueryRunner; iterativeScan: boolean }> {
    if (this.#closed)
      return Promise.reject(new StorageError(`the PgVectorStore for ${this.#table} is closed.`));
    if (this.#ready === undefined) {
      this.#ready = (async () => {
        this.#runner ??= this.#makeRunnerSync() ?? (await poolRunner(this.#source.connectionString!));
        const { iterativeScan } = await setupTable(this.#runner, this.#options, this.#table);
        return { runner: this.#runner, iterativeScan };
      })();
      this.#ready.catch(() => {
        this.#ready = undefined;
      });
    }
    return this.#ready;
  }
}
