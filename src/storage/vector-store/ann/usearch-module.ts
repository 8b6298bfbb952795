import { optionalPeer } from "../../../utils/optional-peer.js";

export { MissingDependencyError } from "../../../errors/index.js";

/** Search results of one query: keys and distances, best first. */
export interface UsearchMatches {
  keys: BigUint64Array;
  distances: Float32Array;
}

/** The part of a usearch `Index` the ANN store uses (declared here so the public types never import `usearch`). */
export interface UsearchIndex {
  add(keys: BigUint64Array, vectors: Float32Array, threads?: number): void;
  search(vectors: Float32Array, k: number, threads: number): UsearchMatches;
  remove(keys: BigUint64Array): number | number[];
  size(): number;
  dimensions(): number;
  save(path: string): void;
  load(path: string): void;
  view(path: string): void;
}

/** Configuration of a usearch `Index` (its constructor's object form). */
export interface UsearchIndexConfig {
  dimensions: number;
  metric: string;
  quantization: string;
  connectivity: number;
  expansion_add: number;
  expansion_search: number;
  multi: boolean;
}

/** The part of the `usearch` module the ANN store uses. */
export interface UsearchModule {
  Index: new (config: UsearchIndexConfig) => UsearchIndex;
}

const peer = optionalPeer<UsearchModule>(
  "usearch",
  "streamdex/ann",
  () => import("usearch") as unknown as Promise<UsearchModule>,
);

/** Imports `usearch` once; a missing package rejects with a one-line `MissingDependencyError`. */
export function loadUsearch(importer?: () => Promise<UsearchModule>): Promise<UsearchModule> {
  return peer.load(importer);
}

/** Resets the cached import (tests). */
export function resetUsearchImport(): void {
  peer.reset();
}
