import { StreamdexError } from "../errors/index.js";
import {
  ChatStoreUnavailableError,
  ConversationBusyError,
  ConversationFullError,
} from "../memory/chat-store/errors.js";
import type { ChatSession, ChatStore } from "../memory/chat-store/types.js";
import type { ChatRequest } from "./chat-request.js";
import { HttpError } from "./http-error.js";

/**
 * Opens the conversation of a chat message in the server's {@link ChatStore}; the store's refusals become HTTP
 * errors: 409 `conversation_busy` (answering in another process; `Retry-After`), 413 `conversation_full` (a cap),
 * 503 `chat_store_unavailable` (the database is unreachable; `Retry-After`). Nothing is written in any of them.
 */
export async function openChat(store: ChatStore, request: ChatRequest): Promise<ChatSession> {
  try {
    return await store.open(request.conversationId, {
      message: request.message,
      seed: request.clientHistory,
    });
  } catch (error) {
    if (error instanceof ConversationBusyError) {
      const seconds = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
      throw new HttpError(409, error.code, error.message, { "retry-after": seconds });
    }
    if (error instanceof ConversationFullError) throw new HttpError(413, error.code, error.message);
    if (error instanceof ChatStoreUnavailableError) {
      throw new HttpError(503, error.code, error.message, { "retry-after": "5" });
    }
    throw error;
  }
}

/**
 * Ends a chat session once its answer is over: the store saves the exchange. A failed save is reported to the
 * logger (or as a process warning), never thrown: the answer has been delivered by then.
 */
export function endChat(session: ChatSession, logger: ((line: string) => void) | undefined): void {
  session.end().catch((error: unknown) => {
    const line = `chat store: ${error instanceof StreamdexError ? `${error.code}: ${error.message}` : "the answer could not be saved."}`;
    if (logger) logger(line);
    else process.emitWarning(`streamdex: ${line}`);
  });
}
