import type { PgVectorDistance, ResolvedOptions } from "./options.js";
import type { QueryRunner } from "./query-runner.js";

/** What the catalog says about a store's table (read without taking any lock on it). */
export interface TableState {
  /** The installed pgvector version (`extversion`), or undefined when the extension is not created. */
  extension: string | undefined;
  /** Whether the schema exists. */
  schema: boolean;
  /** Whether the table exists. */
  exists: boolean;
  /** `format_type` of the `embedding` column, e.g. `vector(384)` (undefined when there is none). */
  embedding: string | undefined;
  /** Names of the table's indexes. */
  indexes: string[];
  /** Operator classes of the HNSW indexes on `embedding`, e.g. `["vector_cosine_ops"]`. */
  hnswOpclasses: string[];
}

const DISTANCES: Record<string, PgVectorDistance> = {
  vector_cosine_ops: "cosine",
  vector_ip_ops: "inner_product",
  vector_l2_ops: "l2",
};

/** The distance an HNSW operator class serves (undefined for others, e.g. `vector_l1_ops`). */
export function distanceOf(opclass: string): PgVectorDistance | undefined {
  return DISTANCES[opclass];
}

interface Row {
  extension: string | null;
  schema: boolean;
  exists: boolean;
  embedding: string | null;
  indexes: Array<{ name: string; am: string; opclass: string | null; column: string | null }> | string | null;
}

/**
 * Reads the extension, schema, table, `embedding` type and indexes from the catalog in one statement. It needs no
 * privilege on the table and takes no lock on it, so it neither waits behind an open ingest nor fails for a
 * read-only role.
 */
export async function inspectTable(
  runner: QueryRunner,
  options: ResolvedOptions,
  table: string,
): Promise<TableState> {
  const [row] = await runner.query<Row>(
    "SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS extension, " +
      "EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $2) AS schema, " +
      "to_regclass($1) IS NOT NULL AS exists, " +
      "(SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = to_regclass($1) " +
      "AND attname = 'embedding' AND NOT attisdropped) AS embedding, " +
      "(SELECT json_agg(json_build_object('name', c.relname, 'am', am.amname, 'opclass', o.opcname, " +
      "'column', a.attname)) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid " +
      "JOIN pg_am am ON am.oid = c.relam LEFT JOIN pg_opclass o ON o.oid = i.indclass[0] " +
      "LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] " +
      "WHERE i.indrelid = to_regclass($1)) AS indexes",
    [table, options.schemaName],
  );
  const raw = row?.indexes ?? [];
  const indexes = (typeof raw === "string" ? JSON.parse(raw) : raw) as Exclude<Row["indexes"], string | null>;
  return {
    extension: row?.extension ?? undefined,
    schema: row?.schema === true,
    exists: row?.exists === true,
    embedding: row?.embedding ?? undefined,
    indexes: indexes.map((i) => i.name),
    hnswOpclasses: indexes
      .filter((i) => i.am === "hnsw" && i.column === "embedding" && i.opclass !== null)
      .map((i) => i.opclass!),
  };
}
