import {
  BaseEmbedding,
  type BaseEmbeddingOptions,
  type EmbedCallOptions,
} from "../../embeddings/base-embedding.js";
import { InvalidArgumentError, MalformedResponseError } from "../../errors/index.js";
import { Settings } from "../../settings/settings.js";
import { splitByTokens } from "../../utils/token-cut.js";
import { type OpenAIClientOptions, type ResolvedClient, resolveClient } from "./client.js";
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

  protected async embedBatch(texts: string[], options: EmbedCallOptions): Promise<Float32Array[]> {
    const plan = this.planInputs(texts);
    const vectors = await this.request(plan.inputs, options);
    return plan.assemble(vectors);
  }

  private async request(inputs: string[], options: EmbedCallOptions): Promise<Float32Array[]> {
    const ctx = { what: `OpenAI embeddings (${this.model}, ${inputs.length} inputs)`, model: this.model };
    try {
      const res = await this.conn.client.embeddings.create(
        {
          model: this.model,
          input: inputs,
          encoding_format: this.encodingFormat,
          ...(this.dimensions !== undefined ? { dimensions: this.dimensions } : {}),
        },
        { signal: options.signal },
      );
      const data = (res as { data?: unknown })?.data;
      if (!Array.isArray(data) || data.length !== inputs.length) {
        throw new MalformedResponseError(
          `${ctx.what} got ${Array.isArray(data) ? data.length : "no"} vectors for ${inputs.length} inputs from ${this.conn.baseURL}.`,
          { provider: "openai" },
        );
      }
      const out = new Array<Float32Array>(inputs.length);
      for (const item of data as { index?: number; embedding?: unknown }[]) {
        const i = item.index ?? -1;
        if (!(i >= 0 && i < inputs.length))
          throw new MalformedResponseError(`${ctx.what}: bad index ${i}.`, { provider: "openai" });
        out[i] = decodeVector(item.embedding, ctx.what);
      }
      return out;
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

function decodeVector(embedding: unknown, what: string): Float32Array {
  if (typeof embedding === "string") {
    const bytes = Buffer.from(embedding, "base64");
    if (bytes.length % 4 !== 0) {
      throw new MalformedResponseError(`${what}: a base64 vector of ${bytes.length} bytes is not float32.`, {
        provider: "openai",
      });
    }
    // A buffer of its own is viewed in place; a slice of Node's shared pool is copied out once.
    return bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length
      ? new Float32Array(bytes.buffer, 0, bytes.length / 4)
      : new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  }
  if (Array.isArray(embedding)) return Float32Array.from(embedding as number[]);
  throw new MalformedResponseError(`${what}: a vector is neither base64 nor an array.`, {
    provider: "openai",
  });
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
