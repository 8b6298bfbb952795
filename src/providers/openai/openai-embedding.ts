import type { EmbeddingCreateParams } from "openai/resources";
import {
  BaseEmbedding,
  type BaseEmbeddingOptions,
  type EmbedCallOptions,
  type EmbeddingUsage,
} from "../../embeddings/base-embedding.js";
import { InvalidArgumentError } from "../../errors/index.js";
import { Settings } from "../../settings/settings.js";
import { splitByTokens } from "../../utils/token-cut.js";
import { defaultTokenizer } from "../../utils/tokenizer.js";
import { type OpenAIClientOptions, type ResolvedClient, resolveClient } from "./client.js";
import { decodeEmbeddingsBody } from "./embeddings-response.js";
import { toStreamdexError } from "./errors.js";
import { EMBEDDING_MAX_INPUT_TOKENS } from "./models.js";

/** Options of {@link OpenAIEmbedding}. */
export interface OpenAIEmbeddingOptions extends OpenAIClientOptions, BaseEmbeddingOptions {
  /** Default `"text-embedding-3-small"`. */
  model?: string;
  /** Shorter vectors (text-embedding-3 models). */
  dimensions?: number;
  /** Longest input in tokens (default 8191, OpenAI's limit). */
  maxInputTokens?: number;
  /**
   * What to do with an input over `maxInputTokens`: `"error"` (default) rejects the batch naming the input;
   * `"split"` embeds its pieces and returns their token-weighted mean, re-normalised. Never truncated silently.
   */
  longInputs?: "error" | "split";
  /** Transfer format: `"base64"` (default, decoded straight into `Float32Array`) or `"float"` (JSON numbers). */
  encodingFormat?: "base64" | "float";
}

/** OpenAI's embedding models, which count tokens with cl100k_base. */
const OPENAI_CL100K_EMBEDDERS = /^text-embedding-(3-(small|large)|ada-002)$/;

/**
 * OpenAI embeddings (and OpenAI-compatible servers' `/v1/embeddings`) through the official SDK. Batches of
 * `embedBatchSize` inputs (default 256) with at most `maxConcurrency` requests in flight (default 4); vectors
 * travel as base64 and are decoded straight into `Float32Array`s. Concurrent queries' embeddings are coalesced
 * into one request (`coalesceQueries`, default on).
 *
 * @example
 * ```ts
 * Settings.embedModel = new OpenAIEmbedding({ model: "text-embedding-3-small", dimensions: 512 });
 * ```
 */
export class OpenAIEmbedding extends BaseEmbedding {
  readonly model: string;
  readonly dimensions: number | undefined;
  readonly maxInputTokens: number;
  private readonly conn: ResolvedClient;
  private readonly longInputs: "error" | "split";
  private readonly encodingFormat: "base64" | "float";

  constructor(options: OpenAIEmbeddingOptions = {}) {
    super({ embedBatchSize: 256, maxConcurrency: 4, coalesceQueries: true, ...options });
    this.model = options.model ?? "text-embedding-3-small";
    if (
      options.dimensions !== undefined &&
      (!Number.isInteger(options.dimensions) || options.dimensions < 1)
    ) {
      throw new InvalidArgumentError(
        "dimensions",
        `expected an integer >= 1, got ${String(options.dimensions)}.`,
      );
    }
    this.dimensions = options.dimensions;
    this.maxInputTokens = options.maxInputTokens ?? EMBEDDING_MAX_INPUT_TOKENS;
    this.longInputs = options.longInputs ?? "error";
    this.encodingFormat = options.encodingFormat ?? "base64";
    this.conn = resolveClient(options);
  }

  /** Counted with cl100k, the tokenizer of OpenAI's embedding models (estimated for any other model). */
  protected override countQueryTokens(query: string): EmbeddingUsage {
    const tokens = defaultTokenizer().countTokens(query);
    return OPENAI_CL100K_EMBEDDERS.test(this.model) ? { tokens } : { tokens, estimated: true };
  }

  protected async embedBatch(texts: string[], options: EmbedCallOptions): Promise<Float32Array[]> {
    const plan = this.planInputs(texts);
    const vectors = await this.request(plan.inputs, options);
    return plan.assemble(vectors);
  }

  private async request(inputs: string[], options: EmbedCallOptions): Promise<Float32Array[]> {
    const ctx = { what: `OpenAI embeddings (${this.model}, ${inputs.length} inputs)`, model: this.model };
    try {
      const body: EmbeddingCreateParams = {
        model: this.model,
        input: inputs,
        encoding_format: this.encodingFormat,
        ...(this.dimensions !== undefined ? { dimensions: this.dimensions } : {}),
      };
      // The SDK sends the body and maps status, retries and errors; the answer's bytes are decoded here.
      const request = this.conn.client.embeddings.create(body, { signal: options.signal });
      const response = await request.asResponse();
      return decodeEmbeddingsBody(Buffer.from(await response.arrayBuffer()), inputs.length, ctx.what);
    } catch (error) {
      throw toStreamdexError(error, this.conn, ctx);
    }
  }

  /** Checks input sizes; splits long inputs when allowed, and says how to put the pieces back together. */
  private planInputs(texts: string[]): {
    inputs: string[];
    assemble(vectors: Float32Array[]): Float32Array[];
  } {
    const pieces: { start: number; weights: number[] }[] = [];
    const inputs: string[] = [];
    texts.forEach((text, i) => {
      // Every token is at least one byte: short texts need no counting.
      const tokens =
        Buffer.byteLength(text) <= this.maxInputTokens ? 0 : Settings.tokenizer.countTokens(text);
      if (tokens <= this.maxInputTokens) {
        pieces.push({ start: inputs.length, weights: [1] });
        inputs.push(text);
        return;
      }
      if (this.longInputs === "error") {
        throw new InvalidArgumentError(
          "texts",
          `input ${i} has ${tokens} tokens, over ${this.model}'s limit of ${this.maxInputTokens}. Split ` +
            'documents into smaller chunks (chunkSize), or pass { longInputs: "split" } to embed it in pieces.',
        );
      }
      const entry = { start: inputs.length, weights: [] as number[] };
      for (const piece of splitByTokens(text, this.maxInputTokens, Settings.tokenizer)) {
        inputs.push(piece);
        entry.weights.push(piece.length);
      }
      pieces.push(entry);
    });
    return {
      inputs,
      assemble: (vectors) =>
        pieces.map(({ start, weights }) =>
          weights.length === 1
            ? vectors[start]!
            : weightedMean(vectors.slice(start, start + weights.length), weights),
        ),
    };
  }
}

function weightedMean(vectors: Float32Array[], weights: number[]): Float32Array {
  const out = new Float32Array(vectors[0]!.length);
  vectors.forEach((v, k) => {
    for (let i = 0; i < out.length; i++) out[i]! += v[i]! * weights[k]!;
  });
  let norm = 0;
  for (let i = 0; i < out.length; i++) norm += out[i]! * out[i]!;
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < out.length; i++) out[i]! *= inv;
  return out;
}
