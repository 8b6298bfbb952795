import {
  BaseEmbedding,
  type BaseEmbeddingOptions,
  type EmbedCallOptions,
  type EmbeddingUsage,
} from "../../embeddings/base-embedding.js";
import { InvalidArgumentError, ProviderError } from "../../errors/index.js";
import { messageOf } from "../../errors/message-of.js";
import { throwIfAborted } from "../../utils/abort.js";
import { optionalBoolean } from "../../utils/validate.js";
import { type LoadedEncoder, loadEncoder, modelKey } from "./load-model.js";
import { loadTransformers } from "./load-module.js";
import { type Lease, lease } from "./model-cache.js";
import { type ModelSource, resolveModelSource } from "./model-source.js";
import { type HuggingFaceModelOptions, resolveModelOptions } from "./options.js";

/** Options of {@link HuggingFaceEmbedding}. */
export interface HuggingFaceEmbeddingOptions extends HuggingFaceModelOptions, BaseEmbeddingOptions {
  /** How token vectors become one text vector: their attention-masked `"mean"` (default) or the `"cls"` token's. */
  pooling?: "mean" | "cls";
  /** Scale vectors to unit length (default `true`), so dot product is cosine similarity. */
  normalize?: boolean;
}

/**
 * Embeddings from a sentence-embedding model (BERT, MiniLM, BGE, nomic…) run in-process by transformers.js's
 * feature-extraction pipeline. Each batch of `embedBatchSize` texts is one padded forward pass; padding is masked
 * out, so a text embeds the same alone or in a batch. The model loads on first use, once per (model, dtype,
 * device) for every instance.
 *
 * @example
 * ```ts
 * import { HuggingFaceEmbedding } from "streamdex/huggingface";
 * Settings.embedModel = new HuggingFaceEmbedding({ model: "./models/bge-small-en-v1.5", pooling: "cls" });
 * ```
 */
export class HuggingFaceEmbedding extends BaseEmbedding {
  private readonly model: string;
  private readonly source: ModelSource;
  private readonly dtype: HuggingFaceModelOptions["dtype"];
  private readonly device: string;
  private readonly pooling: "mean" | "cls";
  private readonly normalize: boolean;
  private lease: Lease<LoadedEncoder> | undefined;

  constructor(options: HuggingFaceEmbeddingOptions) {
    const base = resolveModelOptions(options);
    super({ maxConcurrency: 1, ...options });
    this.model = base.model;
    this.dtype = base.dtype;
    this.device = base.device;
    if (options.pooling !== undefined && options.pooling !== "mean" && options.pooling !== "cls") {
      throw new InvalidArgumentError("pooling", `expected "mean" or "cls", got ${String(options.pooling)}.`);
    }
    this.pooling = options.pooling ?? "mean";
    this.normalize = optionalBoolean("normalize", options.normalize, true);
    this.source = resolveModelSource(this.model, this.dtype);
  }

  /** Loads the model now, instead of on the first call. */
  async load(): Promise<void> {
    await this.encoder();
  }

  /** Counted with the model's own tokenizer, special tokens included. */
  protected override async countQueryTokens(query: string): Promise<EmbeddingUsage> {
    const { pipeline } = await this.encoder();
    return { tokens: pipeline.tokenizer.encode(query).length };
  }

  protected async embedBatch(texts: string[], options: EmbedCallOptions): Promise<Float32Array[]> {
    throwIfAborted(options.signal);
    const { pipeline } = await this.encoder();
    throwIfAborted(options.signal);
    let output: Awaited<ReturnType<typeof pipeline>>;
    try {
      output = await pipeline(texts, { pooling: this.pooling, normalize: this.normalize });
    } catch (error) {
      const reason = messageOf(error);
      throw new ProviderError(`transformers.js failed to embed ${texts.length} texts: ${reason}`, {
        provider: "huggingface",
        providerMessage: reason,
        cause: error,
      });
    }
    const [n, dim] = output.dims as [number, number];
    const raw = output.data as ArrayLike<number>;
    const data = raw instanceof Float32Array ? raw : Float32Array.from(raw);
    const vectors: Float32Array[] = [];
    for (let i = 0; i < n; i++) vectors.push(data.slice(i * dim, (i + 1) * dim));
    return vectors;
  }

  /** Releases the model, which is unloaded when no other instance holds it. */
  async dispose(): Promise<void> {
    const held = this.lease;
    this.lease = undefined;
    await held?.release();
  }

  private async encoder(): Promise<LoadedEncoder> {
    const tf = await loadTransformers();
    const spec = { tf, model: this.model, source: this.source, dtype: this.dtype, device: this.device };
    this.lease ??= lease(modelKey("feature-extraction", spec), () => loadEncoder(spec));
    const held = this.lease;
    try {
      return await held.value;
    } catch (error) {
      if (this.lease === held) this.lease = undefined;
      await held.release();
      throw error;
    }
  }
}
