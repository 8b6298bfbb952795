/**
 * `streamdex/pgvector`: a {@link PgVectorStore} in Postgres with pgvector, reached through `pg` (a connection
 * string, Pool or Client) or in-process PGlite.
 *
 * @example
 * ```ts
 * import { PgVectorStore } from "streamdex/pgvector";
 * const vectorStore = new PgVectorStore({ connectionString: process.env.DATABASE_URL, dimensions: 1536 });
 * ```
 */
export type {
  PgVectorDistance,
  PgVectorHnswOptions,
  PgVectorStoreOptions,
} from "./options.js";
export { type PgVectorEmbeddedOptions, PgVectorStore } from "./pg-vector-store.js";
export type { PGliteLike, PgClientLike, PgQueryable } from "./query-runner.js";
export { filtersToSql, SqlParams } from "./sql-filters.js";
