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
export { ANN_MANIFEST_FILE, type AnnConfig, type AnnManifest, type AnnQuantization } from "./ann-files.js";
export { type AnnLoadOptions, AnnVectorStore, type AnnVectorStoreOptions } from "./ann-vector-store.js";
export { MissingDependencyError, type UsearchIndex, type UsearchModule } from "./usearch-module.js";
