import { StorageError, StreamdexError } from "../../../errors/index.js";
import { quoteIdent, type ResolvedOptions } from "./options.js";
import { type QueryRunner, storageError } from "./query-runner.js";
import { distanceOf, inspectTable, type TableState } from "./table-state.js";
import { createTextSearch } from "./text-search.js";

/** pgvector's HNSW operator class and index-name suffix of each distance. */
export const OPCLASSES = {
  cosine: ["vector_cosine_ops", "cos"],
  inner_product: ["vector_ip_ops", "ip"],
  l2: ["vector_l2_ops", "l2"],
} as const;

/** SQLSTATEs of "pgvector is not installed on the server" and "you may not create it". */
const NOT_AVAILABLE = new Set(["0A000", "58P01"]);
const NO_PRIVILEGE = "42501";

/** What a store learnt about its table: enough to plan queries. */
export interface TableInfo {
  /** Whether the table exists (a default store reads a missing table as empty, and creates it on `add`). */
  exists: boolean;
  /** Whether the vector extension is created in the database. */
  extension: boolean;
  /** Whether the server's pgvector has iterative index scans (0.8+). */
  iterativeScan: boolean;
  /** Whether an HNSW index for the store's distance exists on `embedding`. */
  hnswIndex: boolean;
  /** Whether everything the store would create exists (the write path then runs no DDL). */
  complete: boolean;
}

/** `CREATE INDEX IF NOT EXISTS` of the store's HNSW index (its distance's operator class, `m`, `ef_construction`). */
export function hnswIndexSql(options: ResolvedOptions, table: string): string {
  const hnsw = options.hnsw === false ? undefined : options.hnsw;
  const [opclass, suffix] = OPCLASSES[options.distance];
  const withs = [
    hnsw?.m === undefined ? "" : `m = ${hnsw.m}`,
    hnsw?.efConstruction === undefined ? "" : `ef_construction = ${hnsw.efConstruction}`,
  ].filter(Boolean);
  return (
    `CREATE INDEX IF NOT EXISTS ${quoteIdent(`${options.tableName}_hnsw_${suffix}_idx`)} ON ${table} ` +
    `USING hnsw (embedding ${opclass})${withs.length === 0 ? "" : ` WITH (${withs.join(", ")})`}`
  );
}

/**
 * Reads the catalog (one statement, no locks) and checks the table against the options; with `create`, then
 * creates only what is missing: the vector extension, the schema, the table and its indexes. Throws
 * {@link StorageError} when pgvector is unavailable, or the table holds other dimensions or another distance.
 */
export async function setupTable(
  runner: QueryRunner,
  options: ResolvedOptions,
  table: string,
  { create }: { create: boolean },
): Promise<TableInfo> {
  let state: TableState;
  try {
    state = await inspectTable(runner, options, table);
  } catch (error) {
    throw storageError(`could not look up ${table}`, error);
  }
  checkTable(state, options, table);
  if (!create || isComplete(state, options)) return infoOf(state, options);
  if (state.extension === undefined) await createExtension(runner);
  try {
    await createMissing(runner, options, table, state);
    return infoOf(await inspectTable(runner, options, table), options);
  } catch (error) {
    throw storageError(`could not set up ${table}`, error);
  }
}

/**
 * Creates the schema, the table and its indexes where `state` says they are missing (`IF NOT EXISTS`, so a race
 * with another process is harmless). The one place that creates the table and its indexes.
 */
async function createMissing(
  runner: QueryRunner,
  options: ResolvedOptions,
  table: string,
  state: TableState,
): Promise<void> {
  const { schemaName, tableName, dimensions } = options;
  if (!state.schema) await runner.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schemaName)}`);
  if (!state.exists) {
    await runner.query(
      `CREATE TABLE IF NOT EXISTS ${table} (id text PRIMARY KEY, ref_doc_id text NOT NULL, text text NOT NULL, ` +
        "metadata jsonb NOT NULL DEFAULT '{}', node_info jsonb NOT NULL DEFAULT '{}', " +
        `embedding vector(${dimensions}) NOT NULL)`,
    );
    await createTextSearch(runner, table, tableName, options.textSearch);
  }
  const on = (name: string) => `CREATE INDEX IF NOT EXISTS ${quoteIdent(`${tableName}_${name}`)} ON ${table}`;
  if (!state.indexes.includes(`${tableName}_ref_doc_id_idx`))
    await runner.query(`${on("ref_doc_id_idx")} (ref_doc_id)`);
  if (!state.indexes.includes(`${tableName}_metadata_idx`)) {
    await runner.query(`${on("metadata_idx")} USING gin (metadata)`);
  }
  if (options.hnsw !== false && !state.hnswOpclasses.includes(OPCLASSES[options.distance][0])) {
    await runner.query(hnswIndexSql(options, table));
  }
}

function isComplete(state: TableState, options: ResolvedOptions): boolean {
  const { tableName } = options;
  return (
    state.extension !== undefined &&
    state.exists &&
    state.indexes.includes(`${tableName}_ref_doc_id_idx`) &&
    state.indexes.includes(`${tableName}_metadata_idx`) &&
    (options.hnsw === false || state.hnswOpclasses.includes(OPCLASSES[options.distance][0]))
  );
}

function infoOf(state: TableState, options: ResolvedOptions): TableInfo {
  const [major = 0, minor = 0] = (state.extension ?? "0.0").split(".").map(Number);
  return {
    extension: state.extension !== undefined,
    exists: state.exists,
    iterativeScan: major > 0 || minor >= 8,
    hnswIndex: state.hnswOpclasses.includes(OPCLASSES[options.distance][0]),
    complete: isComplete(state, options),
  };
}

/** Throws when the existing table cannot serve the store: other dimensions, another distance, not a store table. */
function checkTable(state: TableState, options: ResolvedOptions, table: string): void {
  if (!state.exists) return;
  const expected = `vector(${options.dimensions})`;
  if (state.embedding !== expected) {
    throw new StorageError(
      state.embedding === undefined
        ? `the table ${table} exists but has no "embedding" column: it is not a PgVectorStore table; ` +
            "choose another tableName."
        : `the table ${table} holds ${state.embedding} embeddings but this store was configured with ` +
            `dimensions: ${options.dimensions}: use the embedding model the table was built with, or another tableName.`,
    );
  }
  const wanted = OPCLASSES[options.distance][0];
  if (state.hnswOpclasses.length > 0 && !state.hnswOpclasses.includes(wanted)) {
    const have = state.hnswOpclasses.map((opclass) => distanceOf(opclass) ?? opclass);
    throw new StorageError(
      `the table ${table} was built for distance "${have.join('", "')}" (its HNSW index uses ` +
        `${state.hnswOpclasses.join(", ")}) but this store was configured with distance: "${options.distance}" ` +
        `(${wanted}): pass distance: "${have[0]}" to use it, or another tableName.`,
    );
  }
}

async function createExtension(runner: QueryRunner): Promise<void> {
  try {
    await runner.query("CREATE EXTENSION IF NOT EXISTS vector");
  } catch (error) {
    if (error instanceof StreamdexError) throw error;
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === "string" && (NOT_AVAILABLE.has(code) || code === NO_PRIVILEGE)) {
      throw missingExtension(error, code === NO_PRIVILEGE ? "denied" : "unavailable");
    }
    throw storageError("could not create the vector extension", error);
  }
}

/**
 * The error for a database without pgvector: `unavailable` (not installed on the server), `denied` (this role may
 * not create it) or `absent` (not created, and this store may not create it).
 */
export function missingExtension(cause: unknown, why: "unavailable" | "denied" | "absent"): StorageError {
  const detail = cause instanceof Error ? ` (${cause.message})` : "";
  const create =
    "a superuser (or, for a trusted extension, the database owner) must run `CREATE EXTENSION vector` in this database";
  const message =
    why === "unavailable"
      ? `PgVectorStore needs the pgvector extension, which this Postgres server does not have${detail}: install ` +
        `pgvector (https://github.com/pgvector/pgvector) on the server, then ${create} ` +
        "(PGlite: new PGlite({ extensions: { vector } }))."
      : `PgVectorStore needs the pgvector extension, which is not created in this database${
          why === "denied" ? `, and this role may not create it${detail}` : ""
        }: ${create}.`;
  return new StorageError(message, { cause });
}
