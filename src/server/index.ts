export type { ChatRequest } from "./chat-request.js";
export { ConversationStore } from "./conversation-store.js";
export type { FetchHandler } from "./fetch-handler.js";
export { createFetchHandler } from "./fetch-handler.js";
export { CONVERSATION_ID_HEADER, createHandlerCore } from "./handle-request.js";
export { HttpError, toHttpError } from "./http-error.js";
export type { NodeRequestHandler } from "./node-handler.js";
export { createRequestHandler } from "./node-handler.js";
export type { OpenAICompatOptions, OpenAIModelOptions } from "./openai/options.js";
export type { CorsOptions, ServerOptions } from "./options.js";
export { PAGE_CSP, PAGE_HTML } from "./page/page.js";
export type { CoreReply, CoreRequest, ReplyStream } from "./reply.js";
export { ANSWER_ID_HEADER } from "./resume/answer-registry.js";
export { DEFAULT_RESUME_WINDOW_MS, type ResumeOptions } from "./resume/resume-options.js";
export type { RunningServer, StartServerOptions } from "./start-server.js";
export { isLoopback, startServer } from "./start-server.js";
export type {
  ChatEngineFactory,
  ChatEngineRequest,
  ChatRunner,
  EngineFactory,
  EngineRequest,
  QueryRunner,
} from "./types.js";
export { UI_MESSAGE_STREAM_HEADERS, uiMessageStream } from "./ui-message-stream.js";
