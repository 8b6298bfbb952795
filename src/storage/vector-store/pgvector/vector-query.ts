import type { MetadataFilters } from "../types.js";
import { efSearchFor, type ResolvedOptions } from "./options.js";
import type { TableInfo } from "./setup.js";
import { filtersToSql, SqlParams } from "./sql-filters.js";

const OPERATORS = { cosine: "<=>", inner_product: "<#>", l2: "<->" } as const;

/**
 * How filtered (and over-long) HNSW queries keep scanning until they have `similarityTopK` rows (pgvector ≥ 0.8).
 * `strict_order` returns rows in exact distance order (see bench/pgvector-recall.bench.ts for the measurement).
 */
export const ITERATIVE_SCAN = "strict_order";

/** One similarity search: the table and options, and what the query asks for. */
export interface VectorSearch {
  table: string;
  options: ResolvedOptions;
  info: TableInfo;
  /** pgvector's text form of the query vector. */
  vector: string;
  topK: number;
  filters: MetadataFilters | undefined;
  docIds: string[] | undefined;
}

/** A statement and its bound values. */
export interface Statement {
  sql: string;
  values: unknown[];
}

const COLUMNS = "id, text, metadata, node_info";

function whereOf(search: VectorSearch, params: SqlParams): string[] {
  const where: string[] = [];
  if (search.filters !== undefined) where.push(filtersToSql(search.filters, "metadata", params));
  if (search.docIds !== undefined) {
    where.push(
      `ref_doc_id IN (SELECT jsonb_array_elements_text(${params.add(JSON.stringify(search.docIds))}::jsonb))`,
    );
  }
  return where;
}

/** Whether the search runs exactly (a sequential or GIN scan, then a sort) rather than through the HNSW index. */
export function isExact(search: VectorSearch): boolean {
  return search.options.hnsw === false || !search.info.hnswIndex;
}

/**
 * The search as one statement (one round trip, no transaction). Through the HNSW index, a one-row subquery sets
 * `hnsw.ef_search` (from {@link efSearchFor}) and, for filtered queries or `topK` above it, `hnsw.iterative_scan`
 * with `set_config(…, true)` (local to the statement's transaction); the LATERAL join evaluates it before the index
 * scan starts. With `hnsw: false` (or no index) it orders by `distance + 0`, which no index can serve, so the scan
 * is exact even when the table has an HNSW index. Filters stay in the same WHERE either way, so the planner may
 * still prefer an exact GIN scan when they are selective.
 */
export function vectorQuery(search: VectorSearch): Statement {
  const { table, options, info, topK } = search;
  const params = new SqlParams();
  const distance = `embedding ${OPERATORS[options.distance]} ${params.add(search.vector)}::vector`;
  const where = whereOf(search, params);
  const hnsw = options.hnsw;
  if (hnsw === false || isExact(search)) {
    const sql =
      `SELECT ${COLUMNS}, ${distance} AS distance FROM ${table}` +
      `${where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`} ORDER BY (${distance}) + 0 LIMIT ${params.add(topK)}`;
    return { sql, values: params.values };
  }
  const ef = efSearchFor(hnsw, topK);
  const settings = [`set_config('hnsw.ef_search', ${params.add(String(ef))}::text, true)`];
  if (info.iterativeScan && (where.length > 0 || topK > ef)) {
    settings.push(`set_config('hnsw.iterative_scan', ${params.add(ITERATIVE_SCAN)}::text, true)`);
  }
  const gate = settings.map((_, i) => `cfg.s${i} IS NOT NULL`);
  const sql =
    `SELECT r.* FROM (SELECT ${settings.map((s, i) => `${s} AS s${i}`).join(", ")}) AS cfg CROSS JOIN LATERAL ` +
    `(SELECT ${COLUMNS}, ${distance} AS distance FROM ${table} WHERE ${[...gate, ...where].join(" AND ")} ` +
    `ORDER BY ${distance} LIMIT ${params.add(topK)}) AS r`;
  return { sql, values: params.values };
}

/**
 * Zero vectors under cosine have no direction (pgvector's `<=>` gives NaN) and its HNSW index leaves them out, so
 * an indexed search never returns them. When it returned fewer than `topK` rows, this statement fetches the zero
 * vectors that match the same filters (not already returned), which rank last with similarity 0, as in an exact
 * scan. Undefined when no such rows can be missing (not cosine, exact search, or `topK` rows already).
 */
export function zeroVectorQuery(search: VectorSearch, returned: string[]): Statement | undefined {
  if (search.options.distance !== "cosine" || isExact(search) || returned.length >= search.topK)
    return undefined;
  const params = new SqlParams();
  const where = [
    "vector_norm(embedding) = 0",
    `NOT (id = ANY(${params.add(returned)}::text[]))`,
    ...whereOf(search, params),
  ];
  const sql =
    `SELECT ${COLUMNS}, 'NaN'::float8 AS distance FROM ${search.table} WHERE ${where.join(" AND ")} ` +
    `ORDER BY id LIMIT ${params.add(search.topK - returned.length)}`;
  return { sql, values: params.values };
}
