import type { BaseEmbedding } from "../embeddings/base-embedding.js";
import { StreamdexError } from "../errors/index.js";
import { EventDispatcher } from "../instrumentation/events.js";
import type { LLM } from "../llms/types.js";
import { defaultTokenizer, type Tokenizer } from "../utils/tokenizer.js";
import { optionalInteger } from "../utils/validate.js";

/**
 * Global defaults. Every one can also be passed per call (`asQueryEngine({ llm })`,
 * `fromDocuments(docs, { embedModel })`), which wins over the global value.
 *
 * Settings are read when an object is built, as in LlamaIndex: an index, a synthesizer, a query or chat engine
 * takes `llm`, `embedModel`, `chunkSize`, `chunkOverlap` and `tokenizer` from here once, in its constructor (or
 * `fromDocuments` / `asQueryEngine` / `asChatEngine`), and keeps them. Changing `Settings` later affects only what
 * is built later. So a streaming engine over an LLM that cannot stream throws `NotImplementedError` as it is
 * built, and an index keeps querying with the embedding model it was built with. (An index built with no
 * embedding model anywhere, e.g. an empty one, takes `Settings.embedModel` the first time it needs one.)
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
    if (!this._llm) throw noLLMError();
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
    if (!this._embedModel) throw noEmbedModelError();
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
  /** The tokenizer set here, or undefined for the default (without loading it): what objects bind. @internal */
  get tokenizerOverride(): Tokenizer | undefined {
    return this._tokenizer;
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

/** The error of an object built with no LLM passed and none in `Settings`. @internal */
export function noLLMError(): StreamdexError {
  return new StreamdexError(
    "No LLM configured. Set `Settings.llm = new OpenAI(...)` (from streamdex/openai) before building the engine, " +
      "or pass `llm` to asQueryEngine()/getResponseSynthesizer().",
    { code: "no_llm" },
  );
}

/** The error of an index that needs an embedding model when none was passed and none is in `Settings`. @internal */
export function noEmbedModelError(): StreamdexError {
  return new StreamdexError(
    "No embedding model configured. Set `Settings.embedModel = new OpenAIEmbedding()` (from " +
      "streamdex/openai) or `new MockEmbedding()` for offline tests, or pass `embedModel` per call.",
    { code: "no_embed_model" },
  );
}

/** The global settings object. */
export const Settings = new GlobalSettings();
