import { type ChatMode, isChatMode } from "../engines/chat/types.js";
import { InvalidArgumentError } from "../errors/index.js";
import { ChatMemoryBuffer } from "../memory/chat-memory-buffer.js";
import { InMemoryChatStore } from "../memory/chat-store/in-memory-chat-store.js";
import type { ChatStore } from "../memory/chat-store/types.js";
import { isResponseMode } from "../synthesizers/get-response-synthesizer.js";
import type { ResponseMode } from "../synthesizers/types.js";
import { optionalInteger } from "../utils/validate.js";
import type { OpenAICompatOptions } from "./openai/options.js";
import {
  type ResolvedResumeOptions,
  type ResumeOptions,
  resolveResumeOptions,
} from "./resume/resume-options.js";
import type { ChatEngineFactory, EngineFactory } from "./types.js";

/** Cross-origin access to the API. Off unless given. */
export interface CorsOptions {
  /** Allowed origins (`"https://app.example.com"`), or `"*"` for any. */
  origin: string | string[];
}

/** Options of {@link createRequestHandler}, {@link createFetchHandler} and {@link startServer}. */
export interface ServerOptions extends ResumeOptions {
  /** Builds the engine that answers one `POST /api/query`. */
  createEngine: EngineFactory;
  /**
   * Builds the chat engine that answers one `POST /api/chat` message (the server passes the conversation's
   * memory). Without it, `/api/chat` answers 501.
   */
  createChatEngine?: ChatEngineFactory;
  /** Conversations remembered at once; beyond it the least recently used is forgotten (default 1000). */
  maxConversations?: number;
  /** Makes the memory of a new conversation (default: `new ChatMemoryBuffer({ maxMessages: 500 })`). */
  createMemory?: (conversationId: string) => ChatMemoryBuffer;
  /**
   * Where conversations live (default: an `InMemoryChatStore` of `maxConversations` and `createMemory`, which
   * apply only to it). A `PgChatStore` lets several server processes share them. The caller closes it.
   */
  chatStore?: ChatStore;
  /** Bearer token the API routes require (`Authorization: Bearer <token>`). None: no auth (loopback only). */
  token?: string;
  /** Largest request body accepted, in bytes (default 64 KiB). */
  maxBodyBytes?: number;
  /** Longest question accepted, in characters (default 4000). */
  maxQuestionChars?: number;
  /** Queries answered at once (streamed or not); beyond it, 503 with `Retry-After` (default 32). */
  maxConcurrentStreams?: number;
  /** Cross-origin access (default: none, no CORS headers are sent). */
  cors?: CorsOptions;
  /** Receives one line per request (method, path, status, time). Never given headers, tokens or keys. */
  logger?: (line: string) => void;
  /** `topK` when a request gives none (default: the engine's own). */
  defaultTopK?: number;
  /** Response mode when a request gives none (default: the engine's own). */
  defaultMode?: ResponseMode;
  /** Chat mode when a chat request gives none (default: the chat engine's own). */
  defaultChatMode?: ChatMode;
  /**
   * The OpenAI-compatible API (`POST /v1/chat/completions`, `GET /v1/models`): its models and limits (default: one
   * model, `streamdex`, over `createEngine`/`createChatEngine`). `false` turns it off.
   */
  openai?: OpenAICompatOptions | false;
}

/** {@link ServerOptions} with defaults applied and values checked. */
export interface ResolvedOptions extends ResolvedResumeOptions {
  createEngine: EngineFactory;
  createChatEngine: ChatEngineFactory | undefined;
  maxConversations: number;
  createMemory: (conversationId: string) => ChatMemoryBuffer;
  chatStore: ChatStore;
  defaultChatMode: ChatMode | undefined;
  token: string | undefined;
  maxBodyBytes: number;
  maxQuestionChars: number;
  maxConcurrentStreams: number;
  corsOrigins: string[] | undefined;
  logger: ((line: string) => void) | undefined;
  defaultTopK: number | undefined;
  defaultMode: ResponseMode | undefined;
}

/** Largest `topK` a request may ask for. */
export const MAX_TOP_K = 100;

/** Applies defaults and throws {@link InvalidArgumentError} on a bad option, at construction. */
export function resolveOptions(options: ServerOptions): ResolvedOptions {
  if (typeof options?.createEngine !== "function") {
    throw new InvalidArgumentError("createEngine", "expected a function (request) => QueryRunner.");
  }
  const { token, cors, defaultMode, defaultTopK } = options;
  if (token !== undefined && (typeof token !== "string" || token.trim() === "" || /\s/.test(token))) {
    throw new InvalidArgumentError("token", "expected a non-empty string without whitespace.");
  }
  if (defaultMode !== undefined && !isResponseMode(defaultMode)) {
    throw new InvalidArgumentError("defaultMode", `unknown response mode ${JSON.stringify(defaultMode)}.`);
  }
  if (defaultTopK !== undefined && optionalInteger("defaultTopK", defaultTopK, 1, 1) > MAX_TOP_K) {
    throw new InvalidArgumentError("defaultTopK", `must be <= ${MAX_TOP_K}, got ${defaultTopK}.`);
  }
  const { createChatEngine, createMemory, defaultChatMode } = options;
  if (createChatEngine !== undefined && typeof createChatEngine !== "function") {
    throw new InvalidArgumentError("createChatEngine", "expected a function (request) => ChatRunner.");
  }
  if (createMemory !== undefined && typeof createMemory !== "function") {
    throw new InvalidArgumentError(
      "createMemory",
      "expected a function (conversationId) => ChatMemoryBuffer.",
    );
  }
  if (defaultChatMode !== undefined && !isChatMode(defaultChatMode)) {
    throw new InvalidArgumentError(
      "defaultChatMode",
      `unknown chat mode ${JSON.stringify(defaultChatMode)}.`,
    );
  }
  const { chatStore } = options;
  if (chatStore !== undefined && typeof chatStore?.open !== "function") {
    throw new InvalidArgumentError("chatStore", "expected a ChatStore (InMemoryChatStore, PgChatStore).");
  }
  let corsOrigins: string[] | undefined;
  if (cors !== undefined) {
    corsOrigins = typeof cors.origin === "string" ? [cors.origin] : cors.origin;
    if (!Array.isArray(corsOrigins) || corsOrigins.some((o) => typeof o !== "string" || o === "")) {
      throw new InvalidArgumentError("cors.origin", 'expected an origin, a list of origins, or "*".');
    }
  }
  const maxConversations = optionalInteger("maxConversations", options.maxConversations, 1, 1000);
  const memory = createMemory ?? (() => new ChatMemoryBuffer({ maxMessages: 500 }));
  return {
    createEngine: options.createEngine,
    createChatEngine,
    maxConversations,
    createMemory: memory,
    chatStore: chatStore ?? new InMemoryChatStore({ maxConversations, createMemory: memory }),
    defaultChatMode,
    token,
    maxBodyBytes: optionalInteger("maxBodyBytes", options.maxBodyBytes, 1, 64 * 1024),
    maxQuestionChars: optionalInteger("maxQuestionChars", options.maxQuestionChars, 1, 4000),
    maxConcurrentStreams: optionalInteger("maxConcurrentStreams", options.maxConcurrentStreams, 1, 32),
    corsOrigins,
    logger: options.logger,
    defaultTopK,
    defaultMode,
    ...resolveResumeOptions(options),
  };
}
