/**
 * `streamdex/pgvector`: a {@link PgVectorStore} in Postgres with pgvector, reached through `pg` (a connection
 * string, Pool or Client) or in-process PGlite, with full-text search on the same table ({@link PgKeywordRetriever});
 * a {@link PgKeywordStore} (a table without embeddings, found by keywords); and a {@link PgChatStore}, the server's
 * conversations in the same database (no pgvector needed).
 *
 * @example
 * ```ts
 * import { PgVectorStore } from "streamdex/pgvector";
 * const vectorStore = new PgVectorStore({ connectionString: process.env.DATABASE_URL, dimensions: 1536 });
 * ```
 */

export {
  DEFAULT_BUSY_WAIT_MS,
  DEFAULT_LEASE_MS,
  PgChatStore,
  type PgChatStoreOptions,
} from "../../../memory/chat-store/pg-chat-store.js";
export {
  PgKeywordRetriever,
  type PgKeywordRetrieverOptions,
} from "../../../retrievers/pg-keyword-retriever.js";
export type { PgConnectionSettings, PgPoolOptions } from "./connection-options.js";
export {
  DEFAULT_EF_SEARCH_FACTOR,
  DEFAULT_EF_SEARCH_MIN,
  DEFAULT_TEXT_SEARCH_CONFIG,
  MAX_EF_SEARCH,
  type PgTextSearchOptions,
  type PgVectorBulkOptions,
  type PgVectorDistance,
  type PgVectorHnswOptions,
  type PgVectorStoreOptions,
} from "./options.js";
export {
  type PgKeywordEmbeddedOptions,
  PgKeywordStore,
  type PgKeywordStoreOptions,
} from "./pg-keyword-store.js";
export { type PgVectorEmbeddedOptions, PgVectorStore } from "./pg-vector-store.js";
export type { PGliteLike, PgClientLike, PgQueryable } from "./query-runner.js";
export { filtersToSql, SqlParams } from "./sql-filters.js";
export {
  type PgKeywordQuery,
  type PgKeywordSearchable,
  PgTextSearch,
  TEXT_SEARCH_COLUMN,
} from "./text-search.js";
