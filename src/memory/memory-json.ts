import type { MessageRole } from "../llms/types.js";
import type { ChatTurn } from "./chat-turn.js";
import { InvalidChatMemoryError } from "./errors.js";

/** The serialised form of a `ChatMemoryBuffer` (`memory.toJSON()`, `JSON.stringify(memory)`). */
export interface ChatMemoryJSON {
  /** Format version; only `1` exists. */
  version: 1;
  /** The buffer's own token limit, when it has one. */
  tokenLimit?: number;
  /** The buffer's cap on stored messages, when it has one. */
  maxMessages?: number;
  /** Every stored message, oldest first. */
  messages: ChatTurn[];
}

const ROLES: ReadonlySet<string> = new Set<MessageRole>(["system", "user", "assistant"]);
const KEYS = new Set(["version", "tokenLimit", "maxMessages", "messages"]);
const MESSAGE_KEYS = new Set(["role", "content", "interrupted"]);

/**
 * Checks a serialised chat memory (a JSON string or the parsed value) and returns it typed. Throws
 * {@link InvalidChatMemoryError} naming the first part at fault.
 */
export function parseChatMemoryJSON(value: unknown): ChatMemoryJSON {
  let data = value;
  if (typeof value === "string") {
    try {
      data = JSON.parse(value);
    } catch (error) {
      throw new InvalidChatMemoryError("", "the text is not valid JSON.", { cause: error });
    }
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new InvalidChatMemoryError("", "expected an object { version: 1, messages: [...] }.");
  }
  const object = data as Record<string, unknown>;
  const unknown = Object.keys(object).find((k) => !KEYS.has(k));
  if (unknown !== undefined) throw new InvalidChatMemoryError(unknown, "unknown field.");
  if (object.version !== 1) {
    throw new InvalidChatMemoryError(
      "version",
      `expected 1, got ${JSON.stringify(object.version) ?? "nothing"} (written by another version of streamdex?).`,
    );
  }
  const tokenLimit = positiveInteger(object.tokenLimit, "tokenLimit");
  const maxMessages = positiveInteger(object.maxMessages, "maxMessages");
  if (!Array.isArray(object.messages)) {
    throw new InvalidChatMemoryError("messages", "expected an array of { role, content } messages.");
  }
  const messages = object.messages.map((m, i) => parseTurn(m, `messages[${i}]`));
  return {
    version: 1,
    ...(tokenLimit === undefined ? {} : { tokenLimit }),
    ...(maxMessages === undefined ? {} : { maxMessages }),
    messages,
  };
}

function parseTurn(value: unknown, path: string): ChatTurn {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidChatMemoryError(path, "expected an object { role, content, interrupted? }.");
  }
  const m = value as Record<string, unknown>;
  const unknown = Object.keys(m).find((k) => !MESSAGE_KEYS.has(k));
  if (unknown !== undefined) throw new InvalidChatMemoryError(`${path}.${unknown}`, "unknown field.");
  if (typeof m.role !== "string" || !ROLES.has(m.role)) {
    throw new InvalidChatMemoryError(`${path}.role`, 'expected "system", "user" or "assistant".');
  }
  if (typeof m.content !== "string")
    throw new InvalidChatMemoryError(`${path}.content`, "expected a string.");
  if (m.interrupted !== undefined && typeof m.interrupted !== "boolean") {
    throw new InvalidChatMemoryError(`${path}.interrupted`, "expected true or false.");
  }
  if (m.interrupted === true && m.role !== "assistant") {
    throw new InvalidChatMemoryError(`${path}.interrupted`, "only assistant turns can be interrupted.");
  }
  const turn: ChatTurn = { role: m.role as MessageRole, content: m.content };
  if (m.interrupted === true) turn.interrupted = true;
  return turn;
}

function positiveInteger(value: unknown, path: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new InvalidChatMemoryError(path, "expected an integer >= 1.");
  }
  return value;
}
