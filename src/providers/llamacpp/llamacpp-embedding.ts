import type { Llama, LlamaEmbeddingContext } from "node-llama-cpp";
import {
  BaseEmbedding,
  type BaseEmbeddingOptions,
  type EmbedCallOptions,
  type EmbeddingUsage,
} from "../../embeddings/base-embedding.js";
import { BadRequestError } from "../../errors/index.js";
import { throwIfAborted } from "../../utils/abort.js";
import { optionalBoolean, optionalInteger, requireNonEmptyString } from "../../utils/validate.js";
import { toLoadError } from "./errors.js";
import { loadNodeLlamaCpp } from "./load-module.js";
import { leaseModel, type ModelLease } from "./model-cache.js";
import { checkLocalModel, downloadModel, isModelUri } from "./model-file.js";
import { defaultThreads } from "./options.js";

/** Options of {@link LlamaCppEmbedding}. */
export interface LlamaCppEmbeddingOptions extends BaseEmbeddingOptions {
  /** A local `.gguf` embedding model (e.g. nomic-embed-text, bge), or a URI as for `LlamaCpp`. */
  modelPath: string;
  modelsDirectory?: string;
  /** Longest text in tokens (default 2048, capped to the model's training context). */
  contextSize?: number;
  threads?: number;
  gpu?: boolean;
  /** Scale vectors to unit length (default `true`), so dot product is cosine similarity. */
  normalize?: boolean;
  llama?: Llama;
}

/**
 * Embeddings from a GGUF model run in-process by llama.cpp. The model is shared with any `LlamaCpp` or
 * `LlamaCppEmbedding` on the same file; texts are embedded one at a time on one embedding context.
 *
 * @example
 * ```ts
 * Settings.embedModel = new LlamaCppEmbedding({ modelPath: "./models/nomic-embed-text-v1.5.Q8_0.gguf" });
 * ```
 */
export class LlamaCppEmbedding extends BaseEmbedding {
  private readonly modelPath: string;
  private localPath: string | undefined;
  private readonly contextSize: number;
  private readonly threads: number;
  private readonly gpu: boolean;
  private readonly normalize: boolean;
  private readonly modelsDirectory: string | undefined;
  private readonly llama: Llama | undefined;
  private lease: ModelLease | undefined;
  private context: Promise<LlamaEmbeddingContext> | undefined;

  constructor(options: LlamaCppEmbeddingOptions) {
    super({ maxConcurrency: 1, ...options });
    this.modelPath = requireNonEmptyString("modelPath", options?.modelPath, "Pass the path of a .gguf file.");
    this.contextSize = optionalInteger("contextSize", options.contextSize, 16, 2048);
    this.threads = optionalInteger("threads", options.threads, 1, defaultThreads());
    this.gpu = optionalBoolean("gpu", options.gpu, false);
    this.normalize = optionalBoolean("normalize", options.normalize, true);
    this.modelsDirectory = options.modelsDirectory;
    this.llama = options.llama;
    if (!isModelUri(this.modelPath)) {
      const { path, header } = checkLocalModel(this.modelPath);
      this.localPath = path;
      if (header.trainContextSize) this.contextSize = Math.min(this.contextSize, header.trainContextSize);
    }
  }

  /** Counted with the model's own tokenizer. */
  protected override async countQueryTokens(query: string): Promise<EmbeddingUsage> {
    const context = await this.getContext();
    return { tokens: context.model.tokenize(query).length };
  }

  protected async embedBatch(texts: string[], options: EmbedCallOptions): Promise<Float32Array[]> {
    const context = await this.getContext();
    const out: Float32Array[] = [];
    for (const text of texts) {
      throwIfAborted(options.signal);
      const tokens = context.model.tokenize(text);
      if (tokens.length >= this.contextSize) {
        throw new BadRequestError(
          `A text of ${tokens.length} tokens does not fit the embedding context (${this.contextSize}). Split ` +
            "documents into smaller chunks (chunkSize) or raise contextSize.",
          { provider: "llamacpp" },
        );
      }
      const { vector } = await context.getEmbeddingFor(tokens);
      out.push(this.normalize ? unit(vector) : Float32Array.from(vector));
    }
    return out;
  }

  /** Unloads the embedding context, and the model when nothing else holds it. */
  async dispose(): Promise<void> {
    const context = this.context;
    const lease = this.lease;
    this.context = undefined;
    this.lease = undefined;
    await (await context?.catch(() => undefined))?.dispose();
    await lease?.release();
  }

  private getContext(): Promise<LlamaEmbeddingContext> {
    if (!this.context) {
      const context = this.createContext();
      this.context = context;
      context.catch(() => {
        if (this.context === context) this.context = undefined;
      });
    }
    return this.context;
  }

  private async createContext(): Promise<LlamaEmbeddingContext> {
    const nlc = await loadNodeLlamaCpp();
    this.localPath ??= await downloadModel(nlc, this.modelPath, this.modelsDirectory, undefined);
    this.lease ??= leaseModel({ nlc, path: this.localPath, gpu: this.gpu, llama: this.llama });
    const lease = this.lease;
    try {
      const { model } = await lease.model;
      return await model
        .createEmbeddingContext({
          contextSize: Math.min(this.contextSize, model.trainContextSize || Infinity),
          threads: this.threads,
        })
        .catch((error: unknown) => {
          throw toLoadError(error, nlc, {
            modelPath: this.localPath ?? this.modelPath,
            stage: "context",
            contextSize: this.contextSize,
          });
        });
    } catch (error) {
      if (this.lease === lease) this.lease = undefined;
      await lease.release();
      throw error;
    }
  }
}

function unit(vector: readonly number[]): Float32Array {
  const out = Float32Array.from(vector);
  let norm = 0;
  for (const v of out) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < out.length; i++) out[i] = out[i]! / norm;
  return out;
}
