import type { Response } from "../schema/response.js";
import type { StreamingResponse } from "../schema/streaming-response.js";
import type { ResponseMode } from "../synthesizers/types.js";

/** What one HTTP query asks for. */
export interface EngineRequest {
  /** Nodes to retrieve (the engine's default when omitted). */
  topK?: number;
  /** Response mode (the engine's default when omitted). */
  mode?: ResponseMode;
  /** `true`: resolve to a StreamingResponse; `false`: to a finished Response. */
  streaming: boolean;
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
 * const createEngine: EngineFactory = ({ topK, mode, streaming }) =>
 *   index.asQueryEngine({ streaming, similarityTopK: topK, responseMode: mode });
 * ```
 */
export type EngineFactory = (request: EngineRequest) => QueryRunner;
