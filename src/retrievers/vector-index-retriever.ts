import type { BaseEmbedding } from "../embeddings/base-embedding.js";
import type { VectorStoreIndex } from "../indices/vector-store-index.js";
import type { NodeWithScore } from "../schema/node.js";
import { validateFilters } from "../storage/vector-store/metadata-filters.js";
import type { MetadataFilters } from "../storage/vector-store/types.js";
import { throwIfAborted } from "../utils/abort.js";
import { optionalInteger, requireNonEmptyString } from "../utils/validate.js";
import type { BaseRetriever, RetrieveOptions } from "./types.js";

/** Options of {@link VectorIndexRetriever}. */
export interface VectorIndexRetrieverOptions {
  /** Number of nodes to return (default 2, LlamaIndex's default). */
  similarityTopK?: number;
  /** Embeds the query (default: the index's embedding model). */
  embedModel?: BaseEmbedding;
  /** Only retrieve from these source documents. */
  docIds?: string[];
  /** Only retrieve nodes whose metadata matches (validated here; the vector store must support filters). */
  filters?: MetadataFilters;
}

/**
 * Embeds the query and returns the `similarityTopK` most similar nodes of a {@link VectorStoreIndex}, best first.
 * On an index whose vector store reports `size` 0 it returns `[]` without embedding the query.
 *
 * @example
 * ```ts
 * const nodes = await index.asRetriever({ similarityTopK: 3 }).retrieve("growing up");
 * ```
 */
export class VectorIndexRetriever implements BaseRetriever {
  readonly index: VectorStoreIndex;
  readonly similarityTopK: number;
  readonly docIds: string[] | undefined;
  readonly filters: MetadataFilters | undefined;
  private readonly embedModelOverride: BaseEmbedding | undefined;

  constructor(index: VectorStoreIndex, options: VectorIndexRetrieverOptions = {}) {
    this.index = index;
    this.similarityTopK = optionalInteger("similarityTopK", options.similarityTopK, 1, 2);
    this.embedModelOverride = options.embedModel;
    this.docIds = options.docIds;
    if (options.filters !== undefined) validateFilters(options.filters);
    this.filters = options.filters;
  }

  async retrieve(query: string, options: RetrieveOptions = {}): Promise<NodeWithScore[]> {
    requireNonEmptyString("query", query, "Pass the question as a non-empty string.");
    // An empty index has nothing to rank: the query is not embedded (no provider request is spent).
    if (this.index.vectorStore.size === 0) {
      throwIfAborted(options.signal);
      return [];
    }
    const embedModel = this.embedModelOverride ?? this.index.embedModel;
    const queryEmbedding = await embedModel.getQueryEmbedding(query, {
      signal: options.signal,
      onUsage: options.onUsage,
    });
    throwIfAborted(options.signal);
    const result = await this.index.vectorStore.query({
      queryEmbedding,
      similarityTopK: this.similarityTopK,
      docIds: this.docIds,
      ...(this.filters === undefined ? {} : { filters: this.filters }),
    });
    const nodes = result.nodes ?? this.index.docStore.getNodes(result.ids);
    return nodes.map((node, i) => ({ node, score: result.similarities[i] }));
  }
}
