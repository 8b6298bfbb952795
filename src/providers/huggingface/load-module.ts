import { optionalPeer } from "../../utils/optional-peer.js";

/** The `@huggingface/transformers` module, imported only when a model is first used. */
export type Transformers = typeof import("@huggingface/transformers");

const peer = optionalPeer<Transformers>(
  "@huggingface/transformers",
  "streamdex/huggingface",
  () => import("@huggingface/transformers"),
);

/** Imports `@huggingface/transformers` once; a missing package rejects with a one-line `MissingDependencyError`. */
export function loadTransformers(importer?: () => Promise<Transformers>): Promise<Transformers> {
  return peer.load(importer);
}

/** Resets the cached import (tests). */
export function resetTransformersImport(): void {
  peer.reset();
}
