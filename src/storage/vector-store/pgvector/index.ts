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

export type { PgChatStoreOptions } from "../../../memory/chat-store/pg-chat-store.js";
export { PgChatStore } from "../../../memory/chat-store/pg-chat-store.js";
export type { PgKeywordRetrieverOptions } from "../../../retrievers/pg-keyword-retriever.js";
export { PgKeywordRetriever } from "../../../retrievers/pg-keyword-retriever.js";
export type { PgConnectionSettings, PgPoolOptions } from "./connection-options.js";
export type {
  PgTextSearchOptions,
  PgVectorBulkOptions,
  PgVectorDistance,
  PgVectorHnswOptions,
  PgVectorStoreOptions,
} from "./options.js";
export type { PgKeywordEmbeddedOptions, PgKeywordStoreOptions } from "./pg-keyword-store.js";
export { PgKeywordStore } from "./pg-keyword-store.js";
export type { PgVectorEmbeddedOptions } from "./pg-vector-store.js";
export { PgVectorStore } from "./pg-vector-store.js";
export type { PGliteLike, PgClientLike, PgQueryable } from "./query-runner.js";
export type { PgKeywordQuery, PgKeywordSearchable } from "./text-search.js";
