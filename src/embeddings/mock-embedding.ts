import { contentWords } from "../utils/text.js";
import { optionalInteger } from "../utils/validate.js";
import {
  BaseEmbedding,
  type BaseEmbeddingOptions,
  type EmbedCallOptions,
  type EmbeddingUsage,
} from "./base-embedding.js";

/** Options of {@link MockEmbedding}. */
export interface MockEmbeddingOptions extends BaseEmbeddingOptions {
  /** Vector size (default 64). */
  dimensions?: number;
}

/**
 * A deterministic, offline embedding: a hashed bag of words (lower-cased words, common English stopwords
 * dropped), L2-normalised. Texts
 * that share words get similar vectors, so retrieval over it is meaningful enough for demos and tests.
 *
 * @example
 * ```ts
 * Settings.embedModel = new MockEmbedding({ dimensions: 256 });
 * ```
 */
export class MockEmbedding extends BaseEmbedding {
  readonly dimensions: number;
  /** Number of `embedBatch` calls made (one per provider-like request). */
  batchCalls = 0;

  constructor(options: MockEmbeddingOptions = {}) {
    super({ embedBatchSize: 100, ...options });
    this.dimensions = optionalInteger("dimensions", options.dimensions, 1, 64);
  }

  protected async embedBatch(texts: string[], _options: EmbedCallOptions): Promise<Float32Array[]> {
    this.batchCalls++;
    return texts.map((t) => hashedBagOfWords(t, this.dimensions));
  }

  /** The words hashed: its "tokens". */
  protected override countQueryTokens(query: string): EmbeddingUsage {
    return { tokens: contentWords(query).length };
  }
}

/** FNV-1a over the UTF-16 code units of `s`. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function hashedBagOfWords(text: string, dims: number): Float32Array {
  const v = new Float32Array(dims);
  for (const word of contentWords(text)) {
    const h = fnv1a(word);
    v[h % dims]! += h & 0x80000000 ? -1 : 1;
  }
  let norm = 0;
  for (let i = 0; i < dims; i++) norm += v[i]! * v[i]!;
  if (norm === 0) {
    v[0] = 1;
    return v;
  }
  const inv = 1 / Math.sqrt(norm);
  for (let i = 0; i < dims; i++) v[i]! *= inv;
  return v;
}
