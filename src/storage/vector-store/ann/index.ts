/**
 * `streamdex/ann`: an approximate nearest-neighbour {@link AnnVectorStore} on a usearch HNSW index (install the
 * optional peer `usearch`), for millions of vectors.
 *
 * @example
 * ```ts
 * import { AnnVectorStore } from "streamdex/ann";
 * const vectorStore = new AnnVectorStore({ dimensions: 384, expansionSearch: 128 });
 * ```
 */
export type { AnnQuantization } from "./ann-files.js";
export type { AnnLoadOptions, AnnVectorStoreOptions } from "./ann-vector-store.js";
export { AnnVectorStore } from "./ann-vector-store.js";
export { MissingDependencyError } from "./usearch-module.js";
