import type { ChatMode } from "../engines/chat/types.js";
import type { ChatMemoryBuffer } from "../memory/chat-memory-buffer.js";
import type { Response } from "../schema/response.js";
import type { StreamingResponse } from "../streaming/streaming-response.js";
import type { ResponseMode } from "../synthesizers/types.js";

/** What one HTTP query asks for. */
export interface EngineRequest {
  /** Nodes to retrieve (the engine's default when omitted). */
  topK?: number;
  /** Response mode (the engine's default when omitted). */
  mode?: ResponseMode;
  /** `true`: resolve to a StreamingResponse; `false`: to a finished Response. */
  streaming: boolean;
  /**
   * `true`: the client asked for citations (`"citations": true`): build a citing engine (a `CitationQueryEngine`,
   * e.g. `index.asQueryEngine({ citations: true })`), whose `[n]` markers stream as `citation` events. An engine
   * that does not cite just answers without them.
   */
  citations: boolean;
}

/** Answers one question; the server aborts `signal` when the client goes away. */
export interface QueryRunner {
  query(question: string, options: { signal: AbortSignal }): Promise<StreamingResponse | Response>;
}

/**
 * Builds the engine for one request. The server is decoupled from how the index and models were chosen:
 * the CLI passes a factory over its loaded index; a library user passes one over theirs.
 *
 * @example
 * ```ts
 * const createEngine: EngineFactory = ({ topK, mode, streaming, citations }) =>
 *   index.asQueryEngine({ streaming, citations, similarityTopK: topK, responseMode: mode });
 * ```
 */
export type EngineFactory = (request: EngineRequest) => QueryRunner;

/** What one HTTP chat message asks for. */
export interface ChatEngineRequest {
  /** Nodes to retrieve (the engine's default when omitted). */
  topK?: number;
  /** Response mode (used by `condense_question`; the engine's default when omitted). */
  mode?: ResponseMode;
  /** Chat mode (the engine's default when omitted); always `"condense_question"` when `citations` is true. */
  chatMode?: ChatMode;
  /** `true`: resolve to a StreamingResponse; `false`: to a finished Response. */
  streaming: boolean;
  /**
   * `true`: the client asked for citations. Only `condense_question` cites (it answers through a query engine):
   * build a `CondenseQuestionChatEngine` whose `queryEngine` is a `CitationQueryEngine`. The server refuses
   * citations with any other chat mode (400 `citations_unsupported`).
   */
  citations: boolean;
}

/**
 * Answers one chat message within the conversation `memory` (the server keeps one per conversation id); the
 * server aborts `signal` when the client goes away. Every streamdex chat engine is one.
 */
export interface ChatRunner {
  chat(
    message: string,
    options: { signal: AbortSignal; memory: ChatMemoryBuffer },
  ): Promise<StreamingResponse | Response>;
}

/**
 * Builds the chat engine for one `POST /api/chat` request. The server passes each conversation's memory to
 * `chat()`, so the engine may be shared or built per request.
 *
 * @example
 * ```ts
 * const createChatEngine: ChatEngineFactory = ({ topK, mode, chatMode, streaming, citations }) =>
 *   citations // chatMode is "condense_question": answer through a citing query engine
 *     ? new CondenseQuestionChatEngine({
 *         queryEngine: index.asQueryEngine({ citations, streaming, similarityTopK: topK, responseMode: mode }),
 *       })
 *     : index.asChatEngine({ chatMode, streaming, similarityTopK: topK, responseMode: mode });
 * ```
 */
export type ChatEngineFactory = (request: ChatEngineRequest) => ChatRunner;
