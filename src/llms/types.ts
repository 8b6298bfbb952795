import type { Tokenizer } from "../utils/tokenizer.js";

/** Token counts reported by a provider for one call. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** What an LLM is: its name and the sizes the prompt packer needs. */
export interface LLMMetadata {
  /** Model name, e.g. `"gpt-4o-mini"`. */
  model: string;
  /** Tokens the model can attend to: prompt plus answer. */
  contextWindow: number;
  /** Tokens reserved for the answer when packing prompts. */
  numOutput: number;
  /** Whether the model is called with chat messages rather than a raw prompt. */
  isChatModel: boolean;
}

export type MessageRole = "system" | "user" | "assistant";

/** One message of a chat. */
export interface ChatMessage {
  role: MessageRole;
  content: string;
}

/** Options every LLM call takes. */
export interface LLMCallOptions {
  /** Aborts the provider request (HTTP connection or local generation). */
  signal?: AbortSignal;
}

/** A finished completion. */
export interface CompletionResponse {
  text: string;
  usage?: TokenUsage;
  /** Why generation stopped (`"stop"`, `"length"`, ...), when the provider says. */
  finishReason?: string;
  /** The provider's raw answer, for debugging. */
  raw?: unknown;
}

/** A finished chat turn. */
export interface ChatResponse {
  message: ChatMessage;
  usage?: TokenUsage;
  finishReason?: string;
  raw?: unknown;
}

/**
 * One chunk of a streamed answer: exactly one provider chunk. `delta` may be `""` on chunks that only carry
 * `usage` or `finishReason`.
 */
export interface LLMChunk {
  delta: string;
  usage?: TokenUsage;
  finishReason?: string;
  raw?: unknown;
}

/**
 * A streamed answer. It is pull-based: the provider is read only as fast as `next()` is called. Calling the
 * iterator's `return()` (what `break` does) or aborting the call's signal stops the provider request.
 */
export type LLMStream = AsyncIterable<LLMChunk>;

/**
 * A language model. Implement it directly or, easier, extend {@link BaseLLM}, which derives the methods a
 * provider does not have natively.
 *
 * `streamComplete` and `streamChat` resolve once the provider has accepted the request (for HTTP: response
 * headers received), before the first token, and reject on errors the provider gives before the first token.
 */
export interface LLM {
  readonly metadata: LLMMetadata;
  /** Whether `streamComplete`/`streamChat` really stream. Known before any call is made. */
  readonly supportsStreaming: boolean;
  /** Why this LLM cannot stream (e.g. the wrapped model's class), for the `NotImplementedError` message. */
  readonly streamingNotSupportedReason?: string;
  /**
   * The model's own tokenizer, when it differs from `Settings.tokenizer` (a local model with its own vocabulary):
   * synthesizers then pack prompts in this model's tokens.
   */
  getTokenizer?(): Promise<Tokenizer>;
  complete(prompt: string, options?: LLMCallOptions): Promise<CompletionResponse>;
  streamComplete(prompt: string, options?: LLMCallOptions): Promise<LLMStream>;
  chat(messages: ChatMessage[], options?: LLMCallOptions): Promise<ChatResponse>;
  streamChat(messages: ChatMessage[], options?: LLMCallOptions): Promise<LLMStream>;
}
