import type { ResolvedOptions } from "./options.js";
import {
  badRequest,
  checkEngineFields,
  checkQuestion,
  type QueryRequest,
  requireObject,
} from "./query-request.js";

/**
 * Checks a `POST /api/chat` body as the AI SDK's `DefaultChatTransport` sends it:
 * `{ id, messages: [{ id, role, parts: [{ type: "text", text }] }], trigger?, topK?, mode? }`.
 * The question is the text of the last user message; earlier turns are not used.
 */
export function parseChatBody(body: unknown, options: ResolvedOptions): QueryRequest {
  const object = requireObject(body);
  const { messages } = object;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw badRequest("invalid_messages", "`messages` must be a non-empty array of UI messages.");
  }
  const last = [...messages].reverse().find(isUserMessage);
  if (!last) throw badRequest("no_user_message", "`messages` has no user message to answer.");
  const text = last.parts
    .filter((p): p is { type: "text"; text: string } => isTextPart(p))
    .map((p) => p.text)
    .join("");
  return {
    query: checkQuestion(text, options.maxQuestionChars),
    ...checkEngineFields(object, options),
    stream: true,
  };
}

function isUserMessage(m: unknown): m is { role: "user"; parts: unknown[] } {
  if (typeof m !== "object" || m === null) return false;
  const { role, parts } = m as { role?: unknown; parts?: unknown };
  return role === "user" && Array.isArray(parts);
}

function isTextPart(p: unknown): boolean {
  if (typeof p !== "object" || p === null) return false;
  const { type, text } = p as { type?: unknown; text?: unknown };
  return type === "text" && typeof text === "string";
}
