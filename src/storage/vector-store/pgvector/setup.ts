import { StorageError, StreamdexError } from "../../../errors/index.js";
import { quoteIdent, type ResolvedOptions } from "./options.js";
import { type QueryRunner, storageError } from "./query-runner.js";

const OPCLASSES = {
  cosine: ["vector_cosine_ops", "cos"],
  inner_product: ["vector_ip_ops", "ip"],
  l2: ["vector_l2_ops", "l2"],
} as const;

/** SQLSTATEs of "pgvector is not installed on the server" and "you may not create it". */
const NOT_AVAILABLE = new Set(["0A000", "58P01"]);
const NO_PRIVILEGE = "42501";

/**
 * Creates (when missing) the vector extension, the schema, the table and its indexes. Returns whether the server's
 * pgvector supports iterative index scans (0.8+). Throws {@link StorageError} when pgvector is unavailable or the
 * table holds vectors of other dimensions.
 */
export async function setupTable(
  runner: QueryRunner,
  options: ResolvedOptions,
  table: string,
): Promise<{ iterativeScan: boolean }> {
  try {
    await runner.query("CREATE EXTENSION IF NOT EXISTS vector");
  } catch (error) {
    if (error instanceof StreamdexError) throw error;
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === "string" && (NOT_AVAILABLE.has(code) || code === NO_PRIVILEGE)) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new StorageError(
        code === NO_PRIVILEGE
          ? `PgVectorStore needs the pgvector extension, and this role may not create it (${detail}): ask a ` +
              "database owner to run `CREATE EXTENSION vector` in this database."
          : `PgVectorStore needs the pgvector extension, which this Postgres server does not have (${detail}): ` +
              "install pgvector (https://github.com/pgvector/pgvector) on the server, then run " +
              "`CREATE EXTENSION vector` (PGlite: new PGlite({ extensions: { vector } })).",
        { cause: error },
      );
    }
    throw storageError("could not create the vector extension", error);
  }
  const { schemaName, tableName, dimensions } = options;
  try {
    const [ext] = await runner.query<{ v: string }>(
      "SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'",
    );
    const [major = 0, minor = 0] = (ext?.v ?? "0.0").split(".").map(Number);
    const iterativeScan = major > 0 || minor >= 8;
    const [schema] = await runner.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schemaName]);
    if (schema === undefined) await runner.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schemaName)}`);
    const columns = await runner.query<{ name: string; type: string }>(
      "SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute " +
        "WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
      [table],
    );
    if (columns.length > 0) {
      const embedding = columns.find((c) => c.name === "embedding");
      const expected = `vector(${dimensions})`;
      if (embedding?.type !== expected) {
        throw new StorageError(
          embedding === undefined
            ? `the table ${table} exists but has no "embedding" column: it is not a PgVectorStore table; ` +
                "choose another tableName."
            : `the table ${table} holds ${embedding.type} embeddings but this store was configured with ` +
                `dimensions: ${dimensions}: use the embedding model the table was built with, or another tableName.`,
        );
      }
    }
    await runner.query(
      `CREATE TABLE IF NOT EXISTS ${table} (id text PRIMARY KEY, ref_doc_id text NOT NULL, text text NOT NULL, ` +
        "metadata jsonb NOT NULL DEFAULT '{}', node_info jsonb NOT NULL DEFAULT '{}', " +
        `embedding vector(${dimensions}) NOT NULL)`,
    );
    const prefix = tableName;
    const on = (name: string) => `CREATE INDEX IF NOT EXISTS ${quoteIdent(`${prefix}_${name}`)} ON ${table}`;
    await runner.query(`${on("ref_doc_id_idx")} (ref_doc_id)`);
    await runner.query(`${on("metadata_idx")} USING gin (metadata)`);
    const hnswSql = hnswIndexSql(options, table);
    if (hnswSql !== undefined) await runner.query(hnswSql);
    return { iterativeScan };
  } catch (error) {
    throw storageError(`could not set up ${table}`, error);
  }
}

/** The `CREATE INDEX IF NOT EXISTS` statement of the table's HNSW index, or undefined with `hnsw: false`. */
export function hnswIndexSql(options: ResolvedOptions, table: string): string | undefined {
  const { hnsw, distance, tableName } = options;
  if (hnsw === false) return undefined;
  const withs = [
    hnsw.m === undefined ? "" : `m = ${hnsw.m}`,
    hnsw.efConstruction === undefined ? "" : `ef_construction = ${hnsw.efConstruction}`,
  ].filter(Boolean);
  return (
    `CREATE INDEX IF NOT EXISTS ${quoteIdent(`${tableName}_hnsw_${OPCLASSES[distance][1]}_idx`)} ON ${table} ` +
    `USING hnsw (embedding ${OPCLASSES[distance][0]})${withs.length === 0 ? "" : ` WITH (${withs.join(", ")})`}`
  );
}
