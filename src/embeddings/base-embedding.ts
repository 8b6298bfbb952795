import { InvalidArgumentError } from "../errors/index.js";
import { throwIfAborted } from "../utils/abort.js";
import { mapConcurrent } from "../utils/map-concurrent.js";
import { defaultTokenizer } from "../utils/tokenizer.js";
import { optionalBoolean, optionalInteger } from "../utils/validate.js";
import { EmbeddingFeed, type VectorsListener } from "./embedding-feed.js";
import { QueryCoalescer } from "./query-coalescer.js";

/** Options of every embedding call. */
export interface EmbedCallOptions {
  signal?: AbortSignal;
  /** Called after each batch with the number of texts embedded so far. */
  onProgress?: (done: number, total: number) => void;
  /**
   * {@link BaseEmbedding.getQueryEmbedding} only: called once the query is embedded, with the tokens it took
   * (a query's `usage.embeddingTokens`).
   */
  onUsage?: (usage: EmbeddingUsage) => void;
}

/** The tokens of one query embedding. */
export interface EmbeddingUsage {
  tokens: number;
  /** Counted with a tokenizer that may not be the model's (the default cl100k one). */
  estimated?: boolean;
}

/** Batching options shared by every embedding model. */
export interface BaseEmbeddingOptions {
  /** Texts per provider request (default 10). */
  embedBatchSize?: number;
  /** Batches in flight at once (default 4). */
  maxConcurrency?: number;
  /**
   * Coalesce query embeddings requested in the same event-loop turn into one batch (default off; on for
   * network providers, where it turns N concurrent queries into one request).
   */
  coalesceQueries?: boolean;
}

/**
 * Base class for embedding models. A subclass implements `embedBatch` (one provider request for a batch of
 * texts); this class splits large inputs into batches of `embedBatchSize`, runs at most `maxConcurrency` of
 * them at once, and keeps the output in input order.
 *
 * @example
 * ```ts
 * class MyEmbedding extends BaseEmbedding {
 *   protected async embedBatch(texts: string[]) { return texts.map(() => new Float32Array(8)); }
 * }
 * ```
 */
export abstract class BaseEmbedding {
  embedBatchSize: number;
  maxConcurrency: number;
  private readonly coalescer: QueryCoalescer | undefined;

  constructor(options: BaseEmbeddingOptions = {}) {
    this.embedBatchSize = optionalInteger("embedBatchSize", options.embedBatchSize, 1, 10);
    this.maxConcurrency = optionalInteger("maxConcurrency", options.maxConcurrency, 1, 4);
    this.coalescer = optionalBoolean("coalesceQueries", options.coalesceQueries, false)
      ? new QueryCoalescer((texts) => this.embedBatch(texts, {}), this.embedBatchSize)
      : undefined;
  }

  /** Embeds one batch of texts in one provider request. */
  protected abstract embedBatch(texts: string[], options: EmbedCallOptions): Promise<Float32Array[]>;

  /**
   * Embeds a query (coalesced with concurrent queries when `coalesceQueries` is on); `onUsage` then gets its
   * tokens ({@link countQueryTokens}).
   */
  async getQueryEmbedding(query: string, options: EmbedCallOptions = {}): Promise<Float32Array> {
    const vector = this.coalescer
      ? await this.coalescer.embed(query, options.signal)
      : await this.embedQuery(query, options);
    if (options.onUsage) options.onUsage(await this.countQueryTokens(query));
    return vector;
  }

  /** Embeds one query (not coalesced). Override when the model embeds queries differently from documents. */
  protected embedQuery(query: string, options: EmbedCallOptions): Promise<Float32Array> {
    return this.getTextEmbedding(query, options);
  }

  /**
   * The tokens a query embedding takes, for its usage. By default counted with the default (cl100k) tokenizer
   * and flagged `estimated`; a model that knows its own tokenizer overrides it.
   */
  protected countQueryTokens(query: string): EmbeddingUsage | Promise<EmbeddingUsage> {
    return { tokens: defaultTokenizer().countTokens(query), estimated: true };
  }

  /** Embeds one text. */
  async getTextEmbedding(text: string, options: EmbedCallOptions = {}): Promise<Float32Array> {
    const [vector] = await this.embedBatch([text], options);
    if (!vector) throw new InvalidArgumentError("text", "the embedding model returned no vector.");
    return vector;
  }

  /**
   * Starts embedding texts that arrive in pieces: `push(texts)` sends each full batch at once (at most
   * `maxConcurrency` in flight) and `finish()` resolves with every vector in push order. Batches are the ones
   * {@link getTextEmbeddings} would send for the concatenated texts. `onVectors` gets each batch's vectors as
   * soon as they and all earlier ones are ready, in push order.
   */
  createFeed(options: EmbedCallOptions = {}, onVectors?: VectorsListener): EmbeddingFeed {
    return new EmbeddingFeed(
      (texts, opts) => this.embedBatch(texts, opts),
      this.embedBatchSize,
      this.maxConcurrency,
      options,
      this.constructor.name,
      onVectors,
    );
  }

  /** Embeds many texts in batches, at most `maxConcurrency` requests in flight; output order is input order. */
  async getTextEmbeddings(texts: string[], options: EmbedCallOptions = {}): Promise<Float32Array[]> {
    if (!Array.isArray(texts)) throw new InvalidArgumentError("texts", "expected an array of strings.");
    const out = new Array<Float32Array>(texts.length);
    const starts: number[] = [];
    for (let start = 0; start < texts.length; start += this.embedBatchSize) starts.push(start);
    let done = 0;
    await mapConcurrent(starts, this.maxConcurrency, async (start) => {
      throwIfAborted(options.signal);
      const slice = texts.slice(start, start + this.embedBatchSize);
      const vectors = await this.embedBatch(slice, options);
      if (vectors.length !== slice.length) {
        throw new InvalidArgumentError(
          "embedBatch",
          `${this.constructor.name} returned ${vectors.length} vectors for ${slice.length} texts.`,
        );
      }
      for (let i = 0; i < vectors.length; i++) out[start + i] = vectors[i]!;
      done += slice.length;
      options.onProgress?.(done, texts.length);
    });
    return out;
  }
}
