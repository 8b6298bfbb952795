import type { EmbeddingsInterface } from "@langchain/core/embeddings";
import {
  BaseEmbedding,
  type BaseEmbeddingOptions,
  type EmbedCallOptions,
} from "../../embeddings/base-embedding.js";
import { InvalidArgumentError, MalformedResponseError } from "../../errors/index.js";
import { throwIfAborted } from "../../utils/abort.js";
import { describe } from "../../utils/validate.js";
import { secretsOf, toStreamdexError } from "./errors.js";

/** Options of {@link LangChainEmbedding}. */
export interface LangChainEmbeddingOptions extends BaseEmbeddingOptions {
  /** The LangChain embeddings to wrap (anything with `embedDocuments` and `embedQuery`). */
  embeddings: EmbeddingsInterface;
}

/**
 * Any LangChain `Embeddings` (`OpenAIEmbeddings`, `OllamaEmbeddings`...) as a streamdex embedding model:
 * documents through `embedDocuments` (in batches of `embedBatchSize`, default 512, since LangChain batches
 * again inside), queries through `embedQuery`; vectors as `Float32Array`s.
 *
 * @example
 * ```ts
 * import { OpenAIEmbeddings } from "@langchain/openai";
 * Settings.embedModel = new LangChainEmbedding(new OpenAIEmbeddings({ model: "text-embedding-3-small" }));
 * ```
 */
export class LangChainEmbedding extends BaseEmbedding {
  /** The wrapped LangChain embeddings. */
  readonly embeddings: EmbeddingsInterface;
  private readonly secrets: string[];
  private readonly what: string;

  constructor(options: LangChainEmbeddingOptions | EmbeddingsInterface) {
    const opts: LangChainEmbeddingOptions = isEmbeddings(options)
      ? { embeddings: options }
      : (options as LangChainEmbeddingOptions);
    super({ embedBatchSize: 512, maxConcurrency: 2, ...opts });
    if (!isEmbeddings(opts?.embeddings)) {
      throw new InvalidArgumentError(
        "embeddings",
        `expected LangChain Embeddings (an object with embedDocuments(texts) and embedQuery(text)), got ` +
          `${describe(opts?.embeddings)}.`,
      );
    }
    this.embeddings = opts.embeddings;
    this.secrets = secretsOf(opts.embeddings);
    this.what = `LangChain ${opts.embeddings.constructor?.name ?? "Embeddings"}`;
  }

  /** Embeds a query with the model's `embedQuery` (some models embed queries differently from documents). */
  protected override async embedQuery(query: string, options: EmbedCallOptions): Promise<Float32Array> {
    throwIfAborted(options.signal);
    const vector = await this.call(() => this.embeddings.embedQuery(query), "embedQuery", options);
    throwIfAborted(options.signal);
    return toVector(vector, `${this.what} embedQuery`);
  }

  protected async embedBatch(texts: string[], options: EmbedCallOptions): Promise<Float32Array[]> {
    throwIfAborted(options.signal);
    const vectors = await this.call(() => this.embeddings.embedDocuments(texts), "embedDocuments", options);
    throwIfAborted(options.signal);
    if (!Array.isArray(vectors)) {
      throw new MalformedResponseError(`${this.what} embedDocuments returned ${describe(vectors)}.`, {
        provider: "langchain",
      });
    }
    return vectors.map((v) => toVector(v, `${this.what} embedDocuments`));
  }

  private async call<T>(run: () => Promise<T>, method: string, options: EmbedCallOptions): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toStreamdexError(error, {
        what: `${this.what} ${method}`,
        secrets: this.secrets,
        signal: options.signal,
      });
    }
  }
}

function isEmbeddings(value: unknown): value is EmbeddingsInterface {
  if (typeof value !== "object" || value === null) return false;
  const e = value as { embedDocuments?: unknown; embedQuery?: unknown };
  return typeof e.embedDocuments === "function" && typeof e.embedQuery === "function";
}

function toVector(value: unknown, what: string): Float32Array {
  if (value instanceof Float32Array) return value;
  if (!Array.isArray(value) || !value.every((x) => typeof x === "number")) {
    throw new MalformedResponseError(`${what} returned ${describe(value)}, not a vector of numbers.`, {
      provider: "langchain",
    });
  }
  return Float32Array.from(value);
}
