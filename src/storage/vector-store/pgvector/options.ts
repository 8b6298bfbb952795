import { InvalidArgumentError } from "../../../errors/index.js";
import { describe } from "../../../utils/validate.js";
import {
  type PgConnectionSettings,
  type ResolvedConnectionSettings,
  resolveConnectionSettings,
} from "./connection-options.js";
import type { PGliteLike, PgClientLike } from "./query-runner.js";

/** How vectors are compared; each maps to a pgvector operator and HNSW operator class. */
export type PgVectorDistance = "cosine" | "inner_product" | "l2";

/** HNSW index parameters (pgvector defaults: `m` 16, `efConstruction` 64, `efSearch` 40). */
export interface PgVectorHnswOptions {
  /** Max connections per layer (2–100). */
  m?: number;
  /** Candidate list size while building (4–1000, at least 2 × m). */
  efConstruction?: number;
  /**
   * A fixed candidate list size per query (1–1000; never below the query's `similarityTopK`). When omitted, each
   * query uses `efSearchFactor × similarityTopK`, at least `efSearchMin`, at most 1000 (see {@link efSearchFor}).
   */
  efSearch?: number;
  /** Candidates per requested result when `efSearch` is not fixed (1–100, default 2). */
  efSearchFactor?: number;
  /** The least candidate list size when `efSearch` is not fixed (1–1000, default {@link DEFAULT_EF_SEARCH_MIN}). */
  efSearchMin?: number;
}

/** The default {@link PgVectorHnswOptions.efSearchMin}: recall@10 ≥ 0.95 on embedding-like vectors (bench/pgvector-recall). */
export const DEFAULT_EF_SEARCH_MIN = 100;

/** The default {@link PgVectorHnswOptions.efSearchFactor}. */
export const DEFAULT_EF_SEARCH_FACTOR = 2;

/** pgvector's largest `hnsw.ef_search`. */
export const MAX_EF_SEARCH = 1000;

/**
 * Full-text search on the table: a generated `tsvector` column (`text_search_tsv`) with a GIN index, searched by
 * `keywordSearch` and the `PgKeywordRetriever`.
 */
export interface PgTextSearchOptions {
  /**
   * The Postgres text search configuration (a name in `pg_ts_config`), default `"english"` (as LlamaIndex's
   * PGVectorStore): English stemming and stop words. `"simple"` only lowercases, so it suits every language but
   * `polish` does not find `polished`. Fixed when the column is made: another value on the same table is an error.
   */
  config?: string;
}

/** The text search configuration used unless `textSearch.config` names another. */
export const DEFAULT_TEXT_SEARCH_CONFIG = "english";

/**
 * How `add` loads large batches: through a temporary staging table (`COPY`, or array `INSERT`s where the server
 * cannot take `COPY FROM STDIN`), then one `INSERT … ON CONFLICT` upsert; into an empty table the HNSW index is
 * built after the load.
 */
export interface PgVectorBulkOptions {
  /** Rows from which `add` loads in bulk (default 100, measured: below it the staging table costs more than it saves). */
  threshold?: number;
  /** Rows per `COPY` / array `INSERT` into the staging table (default 1000): the grain of progress and abort. */
  chunkSize?: number;
  /**
   * `maintenance_work_mem` for building the HNSW index after a load into an empty table (default `"512MB"`; it is
   * only ever raised, and skipped when the role may not set it); `false` leaves the server's setting.
   */
  maintenanceWorkMem?: string | false;
}

/**
 * Options of {@link PgVectorStore}: exactly one of `connectionString`, `client` or `pglite`; `pool` sizes the pool
 * opened from `connectionString`, `statementTimeoutMs` bounds each statement.
 */
export interface PgVectorStoreOptions extends PgConnectionSettings {
  /** `postgres://user:password@host:5432/db`: the store opens (and `close()` ends) a `pg` Pool. */
  connectionString?: string;
  /** A `pg` Pool, or a connected `pg` Client (used one call at a time). The caller ends it. */
  client?: PgClientLike;
  /** A PGlite instance created with the pgvector extension (in-process Postgres). The caller closes it. */
  pglite?: PGliteLike;
  /** Default `"streamdex_nodes"`. */
  tableName?: string;
  /** Default `"public"`; created when missing. */
  schemaName?: string;
  /** Dimensions of the embeddings (the column is `vector(dimensions)`). Required. */
  dimensions: number;
  /** Default `"cosine"`. */
  distance?: PgVectorDistance;
  /** HNSW index parameters, or `false` for no vector index (exact scans). Default: an HNSW index. */
  hnsw?: PgVectorHnswOptions | false;
  /** Rows per `INSERT` statement in `add` (default 500). */
  batchSize?: number;
  /**
   * Whether `add` may create what is missing (the extension, schema, table, indexes); default true. Reads never
   * create anything. With `false` the store runs no DDL at all, and any call on a missing table throws a
   * {@link StorageError} (for read-only roles and query-only processes).
   */
  createTable?: boolean;
  /** Full-text search on the `text` column (default `{ config: "english" }`), or `false` for none. */
  textSearch?: PgTextSearchOptions | false;
  /** Bulk loading of large `add`s, or `false` to always use `batchSize`-row `INSERT`s. Default: on. */
  bulk?: PgVectorBulkOptions | false;
}

/** Validated {@link PgVectorBulkOptions}. */
export interface ResolvedBulkOptions {
  threshold: number;
  chunkSize: number;
  maintenanceWorkMem: string | false;
}

/** Validated options. */
export interface ResolvedOptions {
  tableName: string;
  schemaName: string;
  dimensions: number;
  distance: PgVectorDistance;
  hnsw:
    | {
        m: number | undefined;
        efConstruction: number | undefined;
        efSearch: number | undefined;
        efSearchFactor: number;
        efSearchMin: number;
      }
    | false;
  batchSize: number;
  /** Pool and statement timeout settings. */
  connection: ResolvedConnectionSettings;
  createTable: boolean;
  textSearch: { config: string } | false;
  bulk: ResolvedBulkOptions | false;
}

/**
 * The `hnsw.ef_search` of a query for `topK` results: the fixed `efSearch`, else `efSearchFactor × topK` at least
 * `efSearchMin`; never below `topK`, never above 1000 (pgvector's limit).
 */
export function efSearchFor(hnsw: Exclude<ResolvedOptions["hnsw"], false>, topK: number): number {
  const wanted = hnsw.efSearch ?? Math.max(hnsw.efSearchMin, Math.ceil(hnsw.efSearchFactor * topK));
  return Math.min(MAX_EF_SEARCH, Math.max(wanted, topK));
}

/** `name` as a quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** HNSW indexes `vector` columns of at most this many dimensions. */
export const HNSW_MAX_DIMENSIONS = 2000;

function integer(name: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      name,
      `expected an integer from ${min} to ${max}, got ${describe(value)}.`,
    );
  }
  return value;
}

function identifier(name: string, value: unknown, fallback: string, maxBytes: number): string {
  if (value === undefined) return fallback;
  if (
    typeof value !== "string" ||
    value === "" ||
    value.includes("\0") ||
    Buffer.byteLength(value) > maxBytes
  ) {
    throw new InvalidArgumentError(
      name,
      `expected a non-empty name of at most ${maxBytes} bytes without NUL characters, got ${describe(value)}.`,
    );
  }
  return value;
}

/** The connection options every Postgres store takes: exactly one of them. */
export interface PgConnectionOptions {
  connectionString?: string;
  client?: unknown;
  pglite?: unknown;
}

/**
 * Checks that exactly one connection is given (`connectionString`, a pg `client`, or `pglite`) and that it has the
 * right shape; throws {@link InvalidArgumentError} naming the field. `hint` ends the "exactly one" message.
 */
export function checkConnection(options: PgConnectionOptions, hint = ""): void {
  const sources = [options.connectionString, options.client, options.pglite].filter((s) => s !== undefined);
  if (sources.length !== 1) {
    throw new InvalidArgumentError(
      "options",
      `pass exactly one of connectionString, client (a pg Pool or Client) or pglite (a PGlite instance)${hint}.`,
    );
  }
  if (options.connectionString !== undefined && typeof options.connectionString !== "string") {
    throw new InvalidArgumentError(
      "connectionString",
      `expected a string, got ${describe(options.connectionString)}.`,
    );
  }
  for (const [name, value] of [
    ["client", options.client],
    ["pglite", options.pglite],
  ] as const) {
    if (value !== undefined && typeof (value as { query?: unknown } | null)?.query !== "function") {
      throw new InvalidArgumentError(
        name,
        `expected an object with a query() method, got ${describe(value)}.`,
      );
    }
  }
}

/** Validates {@link PgVectorStoreOptions} (everything but the connection). */
export function resolveOptions(options: PgVectorStoreOptions): ResolvedOptions {
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError(
      "options",
      `expected { dimensions, connectionString | client | pglite }, got ${describe(options)}.`,
    );
  }
  checkConnection(options, "; or use PgVectorStore.embedded() for an in-process database");
  const dimensions = integer("dimensions", options.dimensions, 1, 16_000);
  if (dimensions === undefined) {
    throw new InvalidArgumentError("dimensions", "required: the embedding model's dimensions (e.g. 1536).");
  }
  const distance = options.distance ?? "cosine";
  if (distance !== "cosine" && distance !== "inner_product" && distance !== "l2") {
    throw new InvalidArgumentError(
      "distance",
      `expected "cosine", "inner_product" or "l2", got ${describe(distance)}.`,
    );
  }
  let hnsw: ResolvedOptions["hnsw"] = false;
  if (options.hnsw !== false) {
    const h = options.hnsw ?? {};
    if (h === null || typeof h !== "object") {
      throw new InvalidArgumentError(
        "hnsw",
        `expected { m?, efConstruction?, efSearch?, efSearchFactor?, efSearchMin? } or false, got ${describe(h)}.`,
      );
    }
    if (dimensions > HNSW_MAX_DIMENSIONS) {
      throw new InvalidArgumentError(
        "hnsw",
        `pgvector's HNSW index supports up to ${HNSW_MAX_DIMENSIONS} dimensions (got ${dimensions}): pass hnsw: false.`,
      );
    }
    hnsw = {
      m: integer("hnsw.m", h.m, 2, 100),
      efConstruction: integer("hnsw.efConstruction", h.efConstruction, 4, 1000),
      efSearch: integer("hnsw.efSearch", h.efSearch, 1, MAX_EF_SEARCH),
      efSearchFactor: integer("hnsw.efSearchFactor", h.efSearchFactor, 1, 100) ?? DEFAULT_EF_SEARCH_FACTOR,
      efSearchMin: integer("hnsw.efSearchMin", h.efSearchMin, 1, MAX_EF_SEARCH) ?? DEFAULT_EF_SEARCH_MIN,
    };
  }
  if (options.createTable !== undefined && typeof options.createTable !== "boolean") {
    throw new InvalidArgumentError(
      "createTable",
      `expected true or false, got ${describe(options.createTable)}.`,
    );
  }
  return {
    // Index names append up to 15 characters; Postgres names hold 63 bytes.
    tableName: identifier("tableName", options.tableName, "streamdex_nodes", 48),
    schemaName: identifier("schemaName", options.schemaName, "public", 63),
    dimensions,
    distance,
    hnsw,
    batchSize: integer("batchSize", options.batchSize, 1, 10_000) ?? 500,
    connection: resolveConnectionSettings(options),
    createTable: options.createTable ?? true,
    textSearch: resolveTextSearch(options.textSearch),
    bulk: resolveBulk(options.bulk),
  };
}

function resolveBulk(bulk: PgVectorBulkOptions | false | undefined): ResolvedBulkOptions | false {
  if (bulk === false) return false;
  const b = bulk ?? {};
  if (b === null || typeof b !== "object") {
    throw new InvalidArgumentError(
      "bulk",
      `expected { threshold?, chunkSize?, maintenanceWorkMem? } or false, got ${describe(b)}.`,
    );
  }
  const memory = b.maintenanceWorkMem ?? "512MB";
  if (memory !== false && (typeof memory !== "string" || !/^\d+\s*(kB|MB|GB|TB)$/.test(memory))) {
    throw new InvalidArgumentError(
      "bulk.maintenanceWorkMem",
      `expected a Postgres memory size such as "512MB" or "2GB", or false, got ${describe(memory)}.`,
    );
  }
  return {
    threshold: integer("bulk.threshold", b.threshold, 1, 1_000_000_000) ?? 100,
    chunkSize: integer("bulk.chunkSize", b.chunkSize, 1, 100_000) ?? 1000,
    maintenanceWorkMem: memory,
  };
}

/** A text search configuration name: an identifier, optionally schema-qualified (it is spliced into DDL). */
const CONFIG_NAME = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/;

/** Validates the `textSearch` option: `false`, or `{ config? }` with a well-formed configuration name. */
export function resolveTextSearch(value: unknown): { config: string } | false {
  if (value === false) return false;
  if (value !== undefined && (value === null || typeof value !== "object")) {
    throw new InvalidArgumentError("textSearch", `expected { config? } or false, got ${describe(value)}.`);
  }
  const config = (value as PgTextSearchOptions | undefined)?.config ?? DEFAULT_TEXT_SEARCH_CONFIG;
  if (typeof config !== "string" || !CONFIG_NAME.test(config)) {
    throw new InvalidArgumentError(
      "textSearch.config",
      `expected the name of a Postgres text search configuration such as "english" or "simple" ` +
        `(SELECT cfgname FROM pg_ts_config lists them), got ${describe(config)}.`,
    );
  }
  return { config };
}
