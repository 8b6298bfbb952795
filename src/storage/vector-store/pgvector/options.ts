import { InvalidArgumentError } from "../../../errors/index.js";
import { describe } from "../../../utils/validate.js";
import type { PGliteLike, PgClientLike } from "./query-runner.js";

/** How vectors are compared; each maps to a pgvector operator and HNSW operator class. */
export type PgVectorDistance = "cosine" | "inner_product" | "l2";

/** HNSW index parameters (pgvector defaults: `m` 16, `efConstruction` 64, `efSearch` 40). */
export interface PgVectorHnswOptions {
  /** Max connections per layer (2–100). */
  m?: number;
  /** Candidate list size while building (4–1000, at least 2 × m). */
  efConstruction?: number;
  /** Candidate list size per query (1–1000), set with `SET LOCAL hnsw.ef_search` in the query's transaction. */
  efSearch?: number;
}

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

/** Options of {@link PgVectorStore}: exactly one of `connectionString`, `client` or `pglite`. */
export interface PgVectorStoreOptions {
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
  hnsw: { m: number | undefined; efConstruction: number | undefined; efSearch: number | undefined } | false;
  batchSize: number;
  bulk: ResolvedBulkOptions | false;
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
        `expected { m?, efConstruction?, efSearch? } or false, got ${describe(h)}.`,
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
      efSearch: integer("hnsw.efSearch", h.efSearch, 1, 1000),
    };
  }
  return {
    // Index names append up to 15 characters; Postgres names hold 63 bytes.
    tableName: identifier("tableName", options.tableName, "streamdex_nodes", 48),
    schemaName: identifier("schemaName", options.schemaName, "public", 63),
    dimensions,
    distance,
    hnsw,
    batchSize: integer("batchSize", options.batchSize, 1, 10_000) ?? 500,
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
