import { isFilterGroup, validateFilters } from "../metadata-filters.js";
import type { MetadataFilter, MetadataFilters } from "../types.js";

/** Collects bound parameters; `add` returns the `$n` placeholder of a value. */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const RANGE_SQL = { ">": ">", ">=": ">=", "<": "<", "<=": "<=" } as const;

/**
 * Translates {@link MetadataFilters} into a SQL condition on the `jsonb` column `column`, with every key and value
 * bound as a parameter (never spliced into the SQL). Semantics match `matchesFilters` (see metadata-filters.ts):
 *
 * - `==` / `!=`: jsonb equality, so types are strict (`1` ≠ `"1"`); a missing key matches `!=`. `==` also adds a
 *   `@>` containment test so the GIN index on the column can serve it.
 * - `in` / `nin`: jsonb equality with an element of the value array; a missing key matches `nin`. `in` also adds
 *   `metadata @> ANY(array of {key: element})`, which the GIN index serves (a BitmapOr of containments), so the
 *   planner can pick an exact GIN scan for a selective `in` instead of walking the HNSW graph.
 * - `nin`, `!=` and ranges are negations or comparisons no GIN index serves: they filter the rows an HNSW walk
 *   visits (with iterative scans on pgvector ≥ 0.8, until the top-k is full), or a scan. Combine them with an `==` or
 *   `in` in an `and` group to let the GIN index narrow the rows first.
 * - `>` `>=` `<` `<=`: only rows whose value has the filter value's type; numbers as `numeric`, strings with
 *   `COLLATE "C"` (code-point order, which equals JavaScript's order outside surrogate pairs).
 * - Groups: `and` (empty → `TRUE`) or `or` (empty → `FALSE`), nested.
 *
 * @example
 * ```ts
 * const params = new SqlParams();
 * filtersToSql({ filters: [{ key: "year", operator: ">=", value: 2020 }] }, "metadata", params);
 * // "(CASE WHEN jsonb_typeof(metadata -> $1::text) = 'number' THEN (metadata ->> $1::text)::numeric >= $2::numeric ELSE FALSE END)"
 * ```
 */
export function filtersToSql(filters: unknown, column: string, params: SqlParams): string {
  validateFilters(filters);
  return groupToSql(filters, column, params);
}

function groupToSql(group: MetadataFilters, column: string, params: SqlParams): string {
  const and = (group.condition ?? "and") === "and";
  if (group.filters.length === 0) return and ? "TRUE" : "FALSE";
  const parts = group.filters.map((entry) =>
    isFilterGroup(entry) ? groupToSql(entry, column, params) : filterToSql(entry, column, params),
  );
  return `(${parts.join(and ? " AND " : " OR ")})`;
}

function filterToSql(filter: MetadataFilter, column: string, params: SqlParams): string {
  const operator = filter.operator ?? "==";
  if ((operator === "in" || operator === "nin") && (filter.value as unknown[]).length === 0) {
    return operator === "in" ? "FALSE" : "TRUE"; // as matchesFilters: `in []` matches nothing
  }
  const key = `${params.add(filter.key)}::text`;
  const field = `${column} -> ${key}`;
  switch (operator) {
    case "==":
    case "!=": {
      const value = params.add(JSON.stringify(filter.value));
      const contains = params.add(JSON.stringify({ [filter.key]: filter.value }));
      const equals = `(${column} @> ${contains}::jsonb AND ${field} = ${value}::jsonb)`;
      return operator === "==" ? equals : `NOT COALESCE(${equals}, FALSE)`;
    }
    case "in":
    case "nin": {
      const values = filter.value as Array<string | number>;
      const list = params.add(JSON.stringify(values));
      const member = `EXISTS (SELECT 1 FROM jsonb_array_elements(${list}::jsonb) AS v(e) WHERE v.e = ${field})`;
      if (operator === "nin") return `NOT ${member}`;
      const contains = params.add(values.map((v) => JSON.stringify({ [filter.key]: v })));
      return `(${column} @> ANY(${contains}::jsonb[]) AND ${member})`;
    }
    default: {
      const sqlOp = RANGE_SQL[operator];
      const value = filter.value as string | number;
      if (typeof value === "number") {
        return (
          `(CASE WHEN jsonb_typeof(${field}) = 'number' THEN (${column} ->> ${key})::numeric ${sqlOp} ` +
          `${params.add(String(value))}::numeric ELSE FALSE END)`
        );
      }
      return (
        `(CASE WHEN jsonb_typeof(${field}) = 'string' THEN (${column} ->> ${key}) COLLATE "C" ${sqlOp} ` +
        `${params.add(value)}::text COLLATE "C" ELSE FALSE END)`
      );
    }
  }
}
