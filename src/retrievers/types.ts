import type { NodeWithScore } from "../schema/node.js";

/** Options of one retrieval. */
export interface RetrieveOptions {
  signal?: AbortSignal;
}

/** Finds the nodes most relevant to a query. */
export interface BaseRetriever {
  retrieve(query: string, options?: RetrieveOptions): Promise<NodeWithScore[]>;
}
