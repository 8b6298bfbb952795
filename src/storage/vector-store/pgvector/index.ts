/**
 * `streamdex/pgvector`: a {@link PgVectorStore} in Postgres with pgvector, reached through `pg` (a connection
 * string, Pool or Client) or in-process PGlite; and a {@link PgChatStore}, the server's conversations in the same
 * database (no pgvector needed).
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
export type {
  PgVectorBulkOptions,
  PgVectorDistance,
  PgVectorHnswOptions,
  PgVectorStoreOptions,
} from "./options.js";
export { type PgVectorEmbeddedOptions, PgVectorStore } from "./pg-vector-store.js";
export type { PGliteLike, PgClientLike, PgQueryable } from "./query-runner.js";
export { filtersToSql, SqlParams } from "./sql-filters.js";
