import { InvalidArgumentError, StorageError, StreamdexError } from "../../../errors/index.js";
import type { NodeWithScore } from "../../../schema/node.js";
import { describe } from "../../../utils/validate.js";
import type { MetadataFilters } from "../types.js";
import { type NodeRow, nodeFromRow } from "./node-row.js";
import { quoteIdent } from "./options.js";
import { type QueryRunner, storageError } from "./query-runner.js";
import { filtersToSql, SqlParams } from "./sql-filters.js";

/** The generated `tsvector` column of a table with full-text search (LlamaIndex's PGVectorStore name). */
export const TEXT_SEARCH_COLUMN = "text_search_tsv";

/** One keyword search: the words to look for, how many nodes, and the same `docIds` / `filters` as a vector query. */
export interface PgKeywordQuery {
  /** The user's words, as typed ("edit 1234"): no query syntax. */
  query: string;
  /** How many nodes to return (>= 1). */
  similarityTopK: number;
  /** Only nodes of these source documents. */
  docIds?: string[];
  /** Only nodes whose metadata matches (as in a vector query). */
  filters?: MetadataFilters;
}

/** A Postgres store that ranks its nodes against words: `PgVectorStore` and `PgKeywordStore`. */
export interface PgKeywordSearchable {
  /** The best `similarityTopK` nodes for the words of `query.query`, best first (see {@link PgTextSearch}). */
  keywordSearch(query: PgKeywordQuery): Promise<NodeWithScore[]>;
}

/** The column's definition for `CREATE TABLE` / `ALTER TABLE … ADD COLUMN` (`config` is validated by options.ts). */
export function textSearchColumnSql(config: string): string {
  return `${TEXT_SEARCH_COLUMN} tsvector GENERATED ALWAYS AS (to_tsvector('${config}'::regconfig, text)) STORED`;
}

/** The GIN index's name: the table's name and 8 characters (within options.ts's 15). */
export function textSearchIndexName(tableName: string): string {
  return `${tableName}_tsv_idx`;
}

/**
 * Adds the generated column (when missing) and its GIN index to `table`, with `IF NOT EXISTS` (DDL: only on the
 * path that creates or writes the table). `textSearch: false` does nothing. An unknown configuration is a
 * {@link StorageError} naming it.
 */
export async function createTextSearch(
  runner: QueryRunner,
  table: string,
  tableName: string,
  textSearch: { config: string } | false,
): Promise<void> {
  if (textSearch === false) return;
  await checkConfig(runner, textSearch.config);
  try {
    await runner.query(
      `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${textSearchColumnSql(textSearch.config)}`,
    );
    await runner.query(
      `CREATE INDEX IF NOT EXISTS ${quoteIdent(textSearchIndexName(tableName))} ON ${table} ` +
        `USING gin (${TEXT_SEARCH_COLUMN})`,
    );
  } catch (error) {
    throw (
      configError(error, textSearch.config) ??
      storageError(`could not add full-text search to ${table}`, error)
    );
  }
}

interface ColumnState {
  /** The column's generation expression, null when it is not a generated column. */
  expr: string | null;
  has_column: boolean;
  has_index: boolean;
}

/**
 * Postgres full-text search on a table's `text`: a generated `tsvector` column with a GIN index, ranked with
 * `ts_rank_cd`.
 *
 * The query's words become lexemes with the table's configuration (`to_tsvector`: stemmed, stop words dropped) and
 * are ORed, as BM25 matches any term: a query with a word no node has ("edit 1234" where no node says "edit")
 * still finds the nodes with the others. Nodes rank by how many distinct query lexemes they contain, then by
 * `ts_rank_cd` (cover density); `score` is that count plus `rank / (rank + 1)`, so it falls as the order does.
 * Ties go by id. A query of stop words only finds nothing.
 *
 * Reads never run DDL: on a table made before the column existed, the search computes `to_tsvector` on the fly
 * (right, but without the index) until a write ({@link PgTextSearch.ensure}) adds the column.
 */
export class PgTextSearch {
  private ensured: Promise<void> | undefined;
  private hasColumn = false;
  private configChecked = false;

  /** `table`: quoted and schema-qualified; `textSearch: false` for a store without full-text search. */
  constructor(
    private readonly table: string,
    private readonly names: { schemaName: string; tableName: string },
    readonly textSearch: { config: string } | false,
  ) {}

  /**
   * The write path: adds the column and index to a table that lacks them (a catalog read first, DDL only when
   * missing), once per store. A column of another configuration is a {@link StorageError} naming both.
   */
  ensure(runner: QueryRunner): Promise<void> {
    const textSearch = this.textSearch;
    if (textSearch === false) return Promise.resolve();
    this.ensured ??= (async () => {
      const state = await this.state(runner);
      if (!state.has_column || !state.has_index) {
        await createTextSearch(runner, this.table, this.names.tableName, textSearch);
      }
      this.hasColumn = true;
    })();
    this.ensured.catch(() => {
      this.ensured = undefined;
    });
    return this.ensured;
  }

  /**
   * Runs a keyword search (validated before `connect` is called; `connect` gives undefined for a table that does
   * not exist yet, which finds nothing). Throws {@link InvalidArgumentError} for bad
   * input, and {@link StorageError} when the store was made with `textSearch: false`.
   */
  async search(
    query: PgKeywordQuery,
    connect: () => Promise<QueryRunner | undefined>,
  ): Promise<NodeWithScore[]> {
    checkQuery(query);
    const textSearch = this.textSearch;
    if (textSearch === false) {
      throw new StorageError(
        `keyword search on ${this.table} needs full-text search, and this store was made with textSearch: false: ` +
          "leave textSearch out (or pass { config }) to have it.",
      );
    }
    const { docIds, filters } = query;
    if (docIds !== undefined && docIds.length === 0) return [];
    const runner = await connect();
    if (runner === undefined) return [];
    if (!this.hasColumn) this.hasColumn = (await this.state(runner)).has_column;
    const params = new SqlParams();
    const config = `${params.add(textSearch.config)}::regconfig`;
    const source = this.hasColumn ? TEXT_SEARCH_COLUMN : `to_tsvector(${config}, text)`;
    // Each lexeme quoted for tsquery input (quotes and backslashes doubled), so it is matched as is, not re-parsed.
    const words =
      "SELECT '''' || replace(replace(l, '\\', '\\\\'), '''', '''''') || '''' AS w " +
      `FROM unnest(tsvector_to_array(to_tsvector(${config}, ${params.add(query.query)}::text))) AS l`;
    const where = [`${source} @@ (SELECT q FROM terms)`];
    if (filters !== undefined) where.push(filtersToSql(filters, "metadata", params));
    if (docIds !== undefined) {
      where.push(
        `ref_doc_id IN (SELECT jsonb_array_elements_text(${params.add(JSON.stringify(docIds))}::jsonb))`,
      );
    }
    const sql =
      `WITH words AS (${words}), terms AS (SELECT array_agg(w::tsquery) AS each, ` +
      "string_agg(w, ' | ')::tsquery AS q FROM words) " +
      "SELECT id, text, metadata, node_info, " +
      `(SELECT count(*) FROM unnest((SELECT each FROM terms)) AS t(x) WHERE ${source} @@ t.x)::float8 + ` +
      `ts_rank_cd(${source}, (SELECT q FROM terms), 32)::float8 AS score ` +
      `FROM ${this.table} WHERE ${where.join(" AND ")} ORDER BY score DESC, id LIMIT ${params.add(query.similarityTopK)}`;
    let rows: (NodeRow & { score: number })[];
    try {
      rows = await runner.query<NodeRow & { score: number }>(sql, params.values);
    } catch (error) {
      throw configError(error, textSearch.config) ?? storageError(`could not search ${this.table}`, error);
    }
    return rows.map((row) => ({ node: nodeFromRow(row), score: Number(row.score) }));
  }

  private async state(runner: QueryRunner): Promise<ColumnState> {
    if (!this.configChecked && this.textSearch !== false) {
      await checkConfig(runner, this.textSearch.config);
      this.configChecked = true;
    }
    const { schemaName, tableName } = this.names;
    let state: ColumnState | undefined;
    try {
      [state] = await runner.query<ColumnState>(
        "SELECT (SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a JOIN pg_attrdef d ON " +
          "d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = to_regclass($1) AND a.attname = $2 " +
          "AND NOT a.attisdropped AND a.attgenerated = 's') AS expr, EXISTS (SELECT 1 FROM pg_attribute WHERE " +
          "attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped) AS has_column, " +
          "to_regclass($3) IS NOT NULL AS has_index",
        [
          this.table,
          TEXT_SEARCH_COLUMN,
          `${quoteIdent(schemaName)}.${quoteIdent(textSearchIndexName(tableName))}`,
        ],
      );
    } catch (error) {
      throw storageError(`could not look up the full-text search column of ${this.table}`, error);
    }
    const result = state ?? { expr: null, has_column: false, has_index: false };
    if (result.has_column && this.textSearch !== false) {
      const found = /^to_tsvector\('((?:[^']|'')+)'::regconfig, text\)$/.exec(result.expr ?? "")?.[1];
      const bare = (name: string) => name.replace(/^pg_catalog\./, "");
      if (found === undefined) {
        throw new StorageError(
          `the table ${this.table} has a "${TEXT_SEARCH_COLUMN}" column that is not streamdex's generated ` +
            `tsvector (${describe(result.expr)}): drop it, or pass textSearch: false.`,
        );
      }
      if (bare(found) !== bare(this.textSearch.config)) {
        throw new StorageError(
          `the table ${this.table} was made with text search configuration "${found}", but this store was ` +
            `configured with textSearch.config "${this.textSearch.config}": pass { config: "${found}" }, or ` +
            "use another tableName.",
        );
      }
    }
    return result;
  }
}

function checkQuery(query: PgKeywordQuery): void {
  if (query === null || typeof query !== "object") {
    throw new InvalidArgumentError("query", `expected { query, similarityTopK }, got ${describe(query)}.`);
  }
  if (typeof query.query !== "string" || query.query.trim() === "") {
    throw new InvalidArgumentError(
      "query.query",
      `expected the words to search for, got ${describe(query.query)}.`,
    );
  }
  const topK = query.similarityTopK;
  if (typeof topK !== "number" || !Number.isInteger(topK) || topK < 1) {
    throw new InvalidArgumentError(
      "similarityTopK",
      `expected an integer >= 1 (how many results to return, e.g. 2), got ${describe(topK)}.`,
    );
  }
  const { docIds } = query;
  if (docIds !== undefined && (!Array.isArray(docIds) || docIds.some((id) => typeof id !== "string"))) {
    throw new InvalidArgumentError(
      "docIds",
      `expected an array of document ids (strings), got ${describe(docIds)}.`,
    );
  }
}

/**
 * Checks in the catalog that the server has the configuration (before any statement names it: PGlite's socket
 * server drops the connection after a failed `::regconfig` cast). Throws {@link StorageError} naming it.
 */
async function checkConfig(runner: QueryRunner, config: string): Promise<void> {
  const dot = config.indexOf(".");
  let rows: unknown[];
  try {
    rows = await runner.query(
      "SELECT 1 FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace " +
        "WHERE c.cfgname = $1 AND ($2::text IS NULL OR n.nspname = $2)",
      [dot < 0 ? config : config.slice(dot + 1), dot < 0 ? null : config.slice(0, dot)],
    );
  } catch (error) {
    throw storageError("could not look up the text search configuration", error);
  }
  if (rows.length === 0) throw configError({ code: "42704", message: "text search configuration" }, config)!;
}

/** A "text search configuration does not exist" failure as a {@link StorageError} naming it, else undefined. */
function configError(error: unknown, config: string): StorageError | undefined {
  if (error instanceof StreamdexError) return undefined;
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e?.code !== "42704" || !/text search configuration/.test(String(e.message))) return undefined;
  return new StorageError(
    `the Postgres server has no text search configuration "${config}" (textSearch.config): pick one that ` +
      'SELECT cfgname FROM pg_ts_config lists, such as "english" or "simple".',
    { cause: error },
  );
}
