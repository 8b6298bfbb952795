import { StreamdexError } from "../../errors/index.js";

/**
 * Another server process is answering a message in this conversation (it holds the conversation's lease). Nothing
 * was written: send the message again once that answer has ended (the server answers 409 with `Retry-After`).
 */
export class ConversationBusyError extends StreamdexError {
  /** When to try again, in milliseconds. */
  readonly retryAfterMs: number;

  constructor(retryAfterMs: number) {
    super(
      "Another server process is answering a message in this conversation: wait for that answer to end, then " +
        "send the message again.",
      { code: "conversation_busy" },
    );
    this.retryAfterMs = retryAfterMs;
  }
}

/** The message would take a conversation beyond the store's `maxTurns` or `maxBytes`. Nothing was written. */
export class ConversationFullError extends StreamdexError {
  /** Which cap: `"maxTurns"` or `"maxBytes"`. */
  readonly limit: "maxTurns" | "maxBytes";
  /** The cap's value. */
  readonly max: number;

  constructor(limit: "maxTurns" | "maxBytes", max: number, has: number) {
    const what = limit === "maxTurns" ? `${has} messages` : `${has} bytes of text`;
    const unit = limit === "maxTurns" ? "messages" : "bytes";
    super(
      `This conversation is full: it holds ${what}, and the conversation store keeps at most ${max} ${unit} ` +
        `per conversation (${limit}). Start a new conversation (a new conversation id).`,
      { code: "conversation_full" },
    );
    this.limit = limit;
    this.max = max;
  }
}

/**
 * The conversation store could not be reached (the database is down or unreachable). The message says what became
 * of the message: not answered (when opening), or answered but not saved (nothing of its turns written).
 */
export class ChatStoreUnavailableError extends StreamdexError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { code: "chat_store_unavailable", ...options });
  }
}

/**
 * The answer's turns were not saved because the conversation changed meanwhile: another process took it over after
 * this one's lease ran out (the database was unreachable for longer than `leaseMs`), or it was deleted.
 */
export class ConversationConflictError extends StreamdexError {
  constructor() {
    super(
      "The answer was not saved: the conversation changed in another process while it ran (this process's lease " +
        "on it ran out, or it was deleted). Send the message again.",
      { code: "conversation_conflict" },
    );
  }
}
