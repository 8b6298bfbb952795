import { optionalPeer } from "../../utils/optional-peer.js";

/** The `@huggingface/inference` module, imported only when an Inference API model first makes a request. */
export type HFInference = typeof import("@huggingface/inference");

const peer = optionalPeer<HFInference>(
  "@huggingface/inference",
  "streamdex/huggingface",
  () => import("@huggingface/inference"),
);

/**
 * Imports `@huggingface/inference` once (so `streamdex/huggingface` loads without it for in-process models); a
 * missing package rejects with a one-line `MissingDependencyError`.
 */
export function loadInferenceModule(importer?: () => Promise<HFInference>): Promise<HFInference> {
  return peer.load(importer);
}

/** Resets the cached import (tests). */
export function resetInferenceModuleImport(): void {
  peer.reset();
}
