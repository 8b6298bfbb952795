import { optionalPeer } from "../../utils/optional-peer.js";

export { MissingDependencyError } from "../../errors/index.js";

/** The `node-llama-cpp` module, imported only when a llama.cpp model is first used. */
export type NodeLlamaCpp = typeof import("node-llama-cpp");

const peer = optionalPeer<NodeLlamaCpp>(
  "node-llama-cpp",
  "streamdex/llamacpp",
  () => import("node-llama-cpp"),
);

/** Imports `node-llama-cpp` once; a missing package rejects with a one-line `MissingDependencyError`. */
export function loadNodeLlamaCpp(importer?: () => Promise<NodeLlamaCpp>): Promise<NodeLlamaCpp> {
  return peer.load(importer);
}

/** Resets the cached import (tests). */
export function resetNodeLlamaCppImport(): void {
  peer.reset();
}
