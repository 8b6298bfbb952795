import type { Tokenizer } from "../utils/tokenizer.js";

/** Token counts reported by a provider for one call (or summed over a query's calls). */
export interface TokenUsage {
  promptTokens: number;
  /** Answer tokens, reasoning included (as providers count them). */
  completionTokens: number;
  totalTokens: number;
  /** Of `completionTokens`, those the model spent reasoning, when the provider says (or they were counted). */
  reasoningTokens?: number;
  /** Tokens of the query embedding (a query's total only). */
  embeddingTokens?: number;
  /** Some counts were not reported by the provider and were counted with the model's tokenizer. */
  estimated?: boolean;
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
  /** The model's reasoning, apart from the answer (`""` or absent when it gave none). */
  reasoning?: string;
  usage?: TokenUsage;
  /** Why generation stopped (`"stop"`, `"length"`, ...), when the provider says. */
  finishReason?: string;
  /** The provider's raw answer, for debugging. */
  raw?: unknown;
}

/** A finished chat turn. */
export interface ChatResponse {
  message: ChatMessage;
  /** The model's reasoning, apart from the answer (`""` or absent when it gave none). */
  reasoning?: string;
  usage?: TokenUsage;
  finishReason?: string;
  raw?: unknown;
}

/** Answer text: one part per provider chunk that carries text. */
export interface TextDeltaPart {
  type: "text-delta";
  text: string;
  /** The provider's event, for debugging. */
  raw?: unknown;
}

/**
 * The model's reasoning, apart from the answer: from the provider's own field (`reasoning_content`, LangChain's
 * reasoning blocks) or from a `<think>…</think>` block that opens a local model's output.
 */
export interface ReasoningDeltaPart {
  type: "reasoning-delta";
  text: string;
  raw?: unknown;
}

/**
 * How the call ended. A provider may send more than one (OpenAI gives the finish reason, then usage in a later
 * event): a reader merges them, a later field winning.
 */
export interface FinishPart {
  type: "finish";
  usage?: TokenUsage;
  /** Why generation stopped: `"stop"`, `"length"`, ... (`"unterminated-reasoning"` for a think block never closed). */
  finishReason?: string;
  raw?: unknown;
}

/** A provider event that carries nothing of the above (kept for debugging; readers skip it). */
export interface RawPart {
  type: "raw";
  raw: unknown;
}

/**
 * One part of a streamed LLM answer: a discriminated union on `type`. Each provider event maps to the parts it
 * carries, in order (usually one).
 *
 * @example
 * ```ts
 * for await (const part of await llm.streamComplete(prompt)) {
 *   if (part.type === "text-delta") process.stdout.write(part.text);
 *   else if (part.type === "reasoning-delta") process.stderr.write(part.text);
 * }
 * ```
 */
export type LLMStreamPart = TextDeltaPart | ReasoningDeltaPart | FinishPart | RawPart;

/**
 * Former name of {@link LLMStreamPart}. (Its old shape, `{ delta, usage?, finishReason? }`, is still read as
 * text and finish from an LLM written against it.)
 * @deprecated Use {@link LLMStreamPart}.
 */
export type LLMChunk = LLMStreamPart;

/**
 * A streamed answer: {@link LLMStreamPart}s. It is pull-based: the provider is read only as fast as `next()` is
 * called. Calling the iterator's `return()` (what `break` does) or aborting the call's signal stops the provider
 * request.
 */
export type LLMStream = AsyncIterable<LLMStreamPart>;

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
