import type { NodeWithScore } from "../schema/node.js";
import { validateFilters } from "../storage/vector-store/metadata-filters.js";
import type { PgKeywordSearchable } from "../storage/vector-store/pgvector/text-search.js";
import type { MetadataFilters } from "../storage/vector-store/types.js";
import { raceAbort, throwIfAborted } from "../utils/abort.js";
import { optionalInteger, requireNonEmptyString } from "../utils/validate.js";
import type { BaseRetriever, RetrieveOptions } from "./types.js";

/** Options of {@link PgKeywordRetriever}. */
export interface PgKeywordRetrieverOptions {
  /** Nodes to return (default 2). */
  similarityTopK?: number;
  /** Only nodes of these source documents. */
  docIds?: string[];
  /** Only nodes whose metadata matches (validated here; run in SQL). */
  filters?: MetadataFilters;
}

/**
 * Keyword retrieval in Postgres: full-text search (`tsvector`, GIN, `ts_rank_cd`) over a `PgVectorStore` or a
 * `PgKeywordStore`, with no embedding model. Results are whole nodes, best first; `score` counts the query words a
 * node contains (plus a cover-density rank below 1), so it is not comparable with a cosine similarity: fuse it with
 * a vector retriever through `QueryFusionRetriever`, which uses ranks only. An aborted `signal` rejects at once
 * (the SQL statement finishes on its own).
 *
 * @example
 * ```ts
 * const keyword = new PgKeywordRetriever(vectorStore, { similarityTopK: 5 });
 * const hybrid = new QueryFusionRetriever({ retrievers: [index.asRetriever({ similarityTopK: 5 }), keyword], similarityTopK: 3 });
 * ```
 */
export class PgKeywordRetriever implements BaseRetriever {
  readonly similarityTopK: number;
  readonly docIds: string[] | undefined;
  readonly filters: MetadataFilters | undefined;

  constructor(
    readonly store: PgKeywordSearchable,
    options: PgKeywordRetrieverOptions = {},
  ) {
    this.similarityTopK = optionalInteger("similarityTopK", options.similarityTopK, 1, 2);
    if (options.filters !== undefined) validateFilters(options.filters);
    this.filters = options.filters;
    this.docIds = options.docIds;
  }

  async retrieve(query: string, options: RetrieveOptions = {}): Promise<NodeWithScore[]> {
    requireNonEmptyString("query", query, "Pass the question as a non-empty string.");
    throwIfAborted(options.signal);
    const search = this.store.keywordSearch({
      query,
      similarityTopK: this.similarityTopK,
      ...(this.docIds === undefined ? {} : { docIds: this.docIds }),
      ...(this.filters === undefined ? {} : { filters: this.filters }),
    });
    search.catch(() => undefined); // an abort below rejects first; a later failure is not unhandled
    return raceAbort(search, options.signal);
  }
}
