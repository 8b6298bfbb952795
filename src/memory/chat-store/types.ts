import type { ChatMemoryBuffer } from "../chat-memory-buffer.js";
import type { ChatTurn } from "../chat-turn.js";

/** What {@link ChatStore.open} needs to know about the message about to be answered. */
export interface ChatOpenOptions {
  /** The message to answer: counted against the store's caps before anything is written. */
  message: string;
  /** Turns to start a conversation with when the store does not know it (new or expired), oldest first. */
  seed?: ChatTurn[];
}

/**
 * One message being answered in one conversation: its memory, to pass to `engine.chat(message, { memory })`.
 * Call {@link ChatSession.end} once the answer has ended (done, failed or cancelled): the exchange is saved then.
 */
export interface ChatSession {
  /** The conversation's memory: the chat engine writes the user's turn and, once, the assistant's. */
  readonly memory: ChatMemoryBuffer;
  /** The store did not know the conversation (new or expired): the memory holds only the seed. */
  readonly created: boolean;
  /**
   * Saves what the answer wrote to the memory and releases the conversation. Runs once (later calls return the
   * same promise). Rejects with a typed error when the store could not save it (e.g. `ChatStoreUnavailableError`).
   */
  end(): Promise<void>;
}

/**
 * Where the server keeps its conversations: in this process ({@link InMemoryChatStore}, the default) or in
 * Postgres (`PgChatStore` from `streamdex/pgvector`), which several server processes can share.
 *
 * Every store keeps the memory's semantics: the user's turn and the assistant's are saved together when the answer
 * ends, an interrupted answer as `interrupted: true` with its partial text; a newer message on a conversation still
 * answering in the same process interrupts that answer first.
 *
 * @example
 * ```ts
 * const session = await store.open("conv-1", { message });
 * try {
 *   const res = await engine.chat(message, { memory: session.memory });
 *   console.log(res.response);
 * } finally {
 *   await session.end();
 * }
 * ```
 */
export interface ChatStore {
  /**
   * Opens a conversation to answer one message: its memory, checked against the caps (`ConversationFullError`).
   * A conversation answering in another process is refused (`ConversationBusyError`); nothing is written.
   */
  open(conversationId: string, options: ChatOpenOptions): Promise<ChatSession>;
  /** The saved turns of a conversation, oldest first; `undefined` when the store does not know it (or it expired). */
  getTurns(conversationId: string): Promise<ChatTurn[] | undefined>;
  /** Forgets a conversation. */
  delete(conversationId: string): Promise<void>;
  /** Waits for the writes in progress, then releases what the store owns (a pool it opened). */
  close(): Promise<void>;
}

/** Expiry and size caps, the same in every store. */
export interface ChatStoreLimits {
  /** A conversation unused for this long (ms) is forgotten: the next message starts it anew. Default 7 days. */
  ttlMs?: number;
  /**
   * Most turns (messages) one conversation may hold: a message that leaves no room for itself and its answer is
   * refused with `ConversationFullError`. Default: none in memory (the memory's `maxMessages` trims), 500 in Postgres.
   */
  maxTurns?: number;
  /**
   * Most bytes (UTF-8 text of its turns) one conversation may hold: a message that would go beyond is refused with
   * `ConversationFullError` (the answer to the last accepted message may pass it). Default: none in memory, 1 MiB in
   * Postgres.
   */
  maxBytes?: number;
}
