import type { EmbeddingUsage } from "../embeddings/base-embedding.js";
import type { NodeWithScore } from "../schema/node.js";

/** Options of one retrieval. */
export interface RetrieveOptions {
  signal?: AbortSignal;
  /** Called with the tokens of each query embedding the retrieval makes (a query's `usage.embeddingTokens`). */
  onUsage?: (usage: EmbeddingUsage) => void;
}

/** Finds the nodes most relevant to a query. */
export interface BaseRetriever {
  retrieve(query: string, options?: RetrieveOptions): Promise<NodeWithScore[]>;
}
