/**
 * `streamdex/server`: the HTTP API over an index (`/api/query`, `/api/chat` over SSE, the OpenAI-compatible
 * `/v1/chat/completions`, resumable answers) and its web page, as a Node request handler, a fetch handler or a
 * running server.
 *
 * @example
 * ```ts
 * import { startServer } from "streamdex/server";
 * const server = await startServer({ port: 3000, createEngine: ({ streaming }) => index.asQueryEngine({ streaming }) });
 * ```
 * @module
 */

export type { FetchHandler } from "./fetch-handler.js";
export { createFetchHandler } from "./fetch-handler.js";
export { CONVERSATION_ID_HEADER } from "./handle-request.js";
export { HttpError } from "./http-error.js";
export type { NodeRequestHandler } from "./node-handler.js";
export { createRequestHandler } from "./node-handler.js";
export type { OpenAICompatOptions, OpenAIModelOptions } from "./openai/options.js";
export type { CorsOptions, ServerOptions } from "./options.js";
export { ANSWER_ID_HEADER } from "./resume/answer-registry.js";
export type { ResumeOptions } from "./resume/resume-options.js";
export type { RunningServer, StartServerOptions } from "./start-server.js";
export { startServer } from "./start-server.js";
export type {
  ChatEngineFactory,
  ChatEngineRequest,
  ChatRunner,
  EngineFactory,
  EngineRequest,
  QueryRunner,
} from "./types.js";
export { UI_MESSAGE_STREAM_HEADERS, uiMessageStream } from "./ui-message-stream.js";
