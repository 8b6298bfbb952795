import { randomUUID } from "node:crypto";
import { CHAT_MODES, type ChatMode, isChatMode } from "../engines/chat/types.js";
import type { ChatTurn } from "../memory/chat-turn.js";
import type { ResponseMode } from "../synthesizers/types.js";
import type { StreamFormat } from "./answer.js";
import type { ResolvedOptions } from "./options.js";
import {
  badRequest,
  checkCitations,
  checkEngineFields,
  checkQuestion,
  requireObject,
} from "./query-request.js";

/** A checked `POST /api/chat` body, in either of its two formats. */
export interface ChatRequest {
  /** `ui-message-stream` for the AI SDK's body (`messages`), `sse` for ours (`message`). */
  format: StreamFormat;
  /** The message to answer, trimmed. */
  message: string;
  /** The client's conversation id, or a new one when it sent none. */
  conversationId: string;
  /** The turns before `message` as the client sent them (AI SDK only): they seed a conversation the server does not know. */
  clientHistory: ChatTurn[];
  /** The AI SDK asks for the last answer again (`trigger: "regenerate-message"`). */
  regenerate: boolean;
  topK: number | undefined;
  mode: ResponseMode | undefined;
  /** `"condense_question"` whenever `citations` is true. */
  chatMode: ChatMode | undefined;
  stream: boolean;
  /** The client asked for citations (`"citations": true`); only `condense_question` can give them. */
  citations: boolean;
}

/** The one chat mode that can cite: it answers through a query engine (a `CitationQueryEngine`). */
export const CITING_CHAT_MODE = "condense_question" satisfies ChatMode;

const OWN_KEYS = new Set(["message", "conversationId", "topK", "mode", "chatMode", "stream", "citations"]);
/** What a conversation (chat) id may be. */
export const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Checks a `POST /api/chat` body. Two formats:
 * - the AI SDK's (`DefaultChatTransport`): `{ id, messages: [{ id, role, parts: [{ type: "text", text }] }],
 *   trigger?, topK?, mode?, chatMode?, citations? }`; the message is the last user message, the conversation id
 *   is `id`;
 * - streamdex's: `{ message, conversationId?, topK?, mode?, chatMode?, stream?, citations? }`, answered with the
 *   same server-sent events as `/api/query`.
 * `citations: true` answers in `condense_question` mode (the only one that cites; the server's `defaultChatMode`
 * does not apply) and is refused with another `chatMode` (`citations_unsupported`).
 * Throws a 400 {@link HttpError}.
 */
export function parseChatBody(body: unknown, options: ResolvedOptions): ChatRequest {
  const object = requireObject(body);
  const citations = checkCitations(object.citations);
  const common = {
    ...checkEngineFields(object, options),
    chatMode: checkChatMode(object.chatMode, options, citations),
    citations,
  };
  if (object.messages !== undefined || object.message === undefined)
    return parseUIBody(object, common, options);
  const unknown = Object.keys(object).filter((k) => !OWN_KEYS.has(k));
  if (unknown.length > 0) {
    throw badRequest(
      "unknown_field",
      `Unknown field ${JSON.stringify(unknown[0])}. Send { message, conversationId?, topK?, mode?, chatMode?, stream?, citations? }.`,
    );
  }
  if (object.stream !== undefined && typeof object.stream !== "boolean") {
    throw badRequest("invalid_stream", "`stream` must be true or false.");
  }
  return {
    format: "sse",
    message: checkQuestion(object.message, options.maxQuestionChars),
    conversationId: checkConversationId(object.conversationId, "conversationId"),
    clientHistory: [],
    regenerate: false,
    ...common,
    stream: object.stream !== false,
  };
}

function parseUIBody(
  object: Record<string, unknown>,
  common: Pick<ChatRequest, "topK" | "mode" | "chatMode" | "citations">,
  options: ResolvedOptions,
): ChatRequest {
  const { messages } = object;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw badRequest(
      "invalid_messages",
      "`messages` must be a non-empty array of UI messages (or send { message, conversationId? }).",
    );
  }
  const lastUser = messages.findLastIndex(isUserMessage);
  if (lastUser === -1) throw badRequest("no_user_message", "`messages` has no user message to answer.");
  const clientHistory: ChatTurn[] = [];
  for (const m of messages.slice(0, lastUser)) {
    const role = (m as { role?: unknown }).role;
    if ((role === "user" || role === "assistant") && Array.isArray((m as { parts?: unknown }).parts)) {
      const content = textOf((m as { parts: unknown[] }).parts);
      if (content !== "") clientHistory.push({ role, content });
    }
  }
  return {
    format: "ui-message-stream",
    message: checkQuestion(textOf(messages[lastUser].parts), options.maxQuestionChars),
    conversationId: checkConversationId(object.id, "id"),
    clientHistory,
    regenerate: object.trigger === "regenerate-message",
    ...common,
    stream: true,
  };
}

function checkChatMode(value: unknown, options: ResolvedOptions, citations: boolean): ChatMode | undefined {
  if (value === undefined) return citations ? CITING_CHAT_MODE : options.defaultChatMode;
  if (!isChatMode(value)) {
    throw badRequest("invalid_chat_mode", `Unknown \`chatMode\`. Use one of: ${CHAT_MODES.join(", ")}.`);
  }
  if (citations && value !== CITING_CHAT_MODE) {
    throw badRequest(
      "citations_unsupported",
      `Chat mode "${value}" cannot cite its sources: \`citations\` needs chatMode "${CITING_CHAT_MODE}" ` +
        "(the mode that answers through a query engine; the default with citations), or ask /api/query.",
    );
  }
  return value;
}

function checkConversationId(value: unknown, field: string): string {
  if (value === undefined) return randomUUID();
  if (typeof value !== "string" || !ID_PATTERN.test(value)) {
    throw badRequest(
      "invalid_conversation_id",
      `\`${field}\` must be 1 to 128 letters, digits or . _ : - (a random id, e.g. a UUID).`,
    );
  }
  return value;
}

function isUserMessage(m: unknown): m is { role: "user"; parts: unknown[] } {
  if (typeof m !== "object" || m === null) return false;
  const { role, parts } = m as { role?: unknown; parts?: unknown };
  return role === "user" && Array.isArray(parts);
}

function textOf(parts: unknown[]): string {
  return parts
    .filter((p): p is { type: "text"; text: string } => {
      if (typeof p !== "object" || p === null) return false;
      const { type, text } = p as { type?: unknown; text?: unknown };
      return type === "text" && typeof text === "string";
    })
    .map((p) => p.text)
    .join("");
}
