import type { BaseEmbedding } from "../embeddings/base-embedding.js";
import { StreamdexError } from "../errors/index.js";
import { EventDispatcher } from "../instrumentation/events.js";
import type { LLM } from "../llms/types.js";
import { defaultTokenizer, isDefaultTokenizer, type Tokenizer } from "../utils/tokenizer.js";
import { optionalInteger } from "../utils/validate.js";

/**
 * Global defaults. Every one can also be passed per call (`asQueryEngine({ llm })`,
 * `fromDocuments(docs, { embedModel })`), which wins over the global value.
 *
 * @example
 * ```ts
 * Settings.llm = new OpenAI({ model: "gpt-4o-mini" });
 * Settings.embedModel = new MockEmbedding();
 * Settings.chunkSize = 512;
 * ```
 */
class GlobalSettings {
  private _llm: LLM | undefined;
  private _embedModel: BaseEmbedding | undefined;
  private _tokenizer: Tokenizer | undefined;
  private _chunkSize = 1024;
  private _chunkOverlap = 200;
  /** Instrumentation: subscribe to query, retrieval and LLM events. */
  readonly events = new EventDispatcher();

  /** The LLM used when none is passed. Reading it before one is set throws a message saying how to set one. */
  get llm(): LLM {
    if (!this._llm) {
      throw new StreamdexError(
        "No LLM configured. Set `Settings.llm = new OpenAI(...)` (from streamdex/openai) or pass `llm` to " +
          "asQueryEngine()/getResponseSynthesizer().",
        { code: "no_llm" },
      );
    }
    return this._llm;
  }
  set llm(llm: LLM | undefined) {
    this._llm = llm;
  }
  /** Whether a global LLM is set (reading {@link GlobalSettings.llm} would not throw). */
  get hasLLM(): boolean {
    return this._llm !== undefined;
  }

  /** The embedding model used when none is passed. */
  get embedModel(): BaseEmbedding {
    if (!this._embedModel) {
      throw new StreamdexError(
        "No embedding model configured. Set `Settings.embedModel = new OpenAIEmbedding()` (from " +
          "streamdex/openai) or `new MockEmbedding()` for offline tests, or pass `embedModel` per call.",
        { code: "no_embed_model" },
      );
    }
    return this._embedModel;
  }
  set embedModel(model: BaseEmbedding | undefined) {
    this._embedModel = model;
  }
  get hasEmbedModel(): boolean {
    return this._embedModel !== undefined;
  }

  /** Tokenizer used to count chunk and prompt sizes (default: cl100k_base, loaded on first use). */
  get tokenizer(): Tokenizer {
    return this._tokenizer ?? defaultTokenizer();
  }
  set tokenizer(tokenizer: Tokenizer | undefined) {
    this._tokenizer = tokenizer;
  }
  /** Whether a tokenizer other than the default cl100k one was set. @internal */
  get hasCustomTokenizer(): boolean {
    return this._tokenizer !== undefined && !isDefaultTokenizer(this._tokenizer);
  }

  /** Chunk size in tokens for the default splitter (default 1024). */
  get chunkSize(): number {
    return this._chunkSize;
  }
  set chunkSize(value: number) {
    this._chunkSize = optionalInteger("chunkSize", value, 1, 1024);
  }

  /** Overlap between consecutive chunks in tokens (default 200). */
  get chunkOverlap(): number {
    return this._chunkOverlap;
  }
  set chunkOverlap(value: number) {
    this._chunkOverlap = optionalInteger("chunkOverlap", value, 0, 200);
  }

  /** Restores every default (for tests). */
  reset(): void {
    this._llm = undefined;
    this._embedModel = undefined;
    this._tokenizer = undefined;
    this._chunkSize = 1024;
    this._chunkOverlap = 200;
  }
}

export type { GlobalSettings };

/** The global settings object. */
export const Settings = new GlobalSettings();
