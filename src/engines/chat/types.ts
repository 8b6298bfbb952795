import type { ChatMemoryBuffer } from "../../memory/chat-memory-buffer.js";
import type { ChatTurn } from "../../memory/chat-turn.js";
import type { Response } from "../../schema/response.js";
import type { StreamingResponse } from "../../streaming/streaming-response.js";

/** How `index.asChatEngine()` answers; see the README's "Chat engines" section. */
export const CHAT_MODES = ["simple", "context", "condense_question", "condense_plus_context"] as const;
export type ChatMode = (typeof CHAT_MODES)[number];

/** Whether `value` is one of {@link CHAT_MODES}. */
export function isChatMode(value: unknown): value is ChatMode {
  return typeof value === "string" && (CHAT_MODES as readonly string[]).includes(value);
}

/** Options of one chat call. */
export interface ChatOptions {
  /** Aborts retrieval and every LLM request; a stream being read then throws `AbortError`. */
  signal?: AbortSignal;
  /**
   * The conversation to use instead of the engine's own memory: lets one engine serve many conversations
   * (one memory each). Default: `engine.memory`.
   */
  memory?: ChatMemoryBuffer;
}

/** A chat answer's type follows the engine's `streaming` flag, like a query engine's. */
export type ChatOutput<S extends boolean> = S extends true ? StreamingResponse : Response;

/**
 * A conversation over an LLM (and, for most modes, your documents) that remembers earlier turns.
 *
 * `chat()` resolves to a `StreamingResponse` when the engine was built with `streaming: true` (as soon as its
 * last LLM call has started), else to a finished `Response`; `streamChat()` always streams. Only the last LLM
 * call of a message streams; earlier ones (condensing the question, refine steps) complete first.
 *
 * @example
 * ```ts
 * const engine = index.asChatEngine({ chatMode: "condense_plus_context", streaming: true });
 * const res = await engine.chat("What did the author do growing up?");
 * for await (const text of res) process.stdout.write(text);
 * await (await engine.chat("And after that?")).printResponseStream();
 * ```
 */
export interface ChatEngine<S extends boolean = boolean> {
  readonly chatMode: ChatMode;
  /** Whether `chat()` resolves to a `StreamingResponse`. */
  readonly streaming: S;
  /** The engine's own conversation (used unless a call passes `memory`). */
  readonly memory: ChatMemoryBuffer;
  /** Answers `message`, using and extending the conversation. Empty messages are rejected before any work. */
  chat(message: string, options?: ChatOptions): Promise<ChatOutput<S>>;
  /** Like `chat()`, always streaming. */
  streamChat(message: string, options?: ChatOptions): Promise<StreamingResponse>;
  /** Forgets the engine's own conversation. */
  reset(): void;
  /** The engine's own conversation, every turn. */
  readonly chatHistory: ChatTurn[];
}
