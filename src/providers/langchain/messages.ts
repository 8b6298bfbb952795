import { AIMessage, type BaseMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { InvalidArgumentError } from "../../errors/index.js";
import type { ChatMessage, MessageRole } from "../../llms/types.js";
import { describe } from "../../utils/validate.js";

/**
 * Our chat messages as LangChain messages: `system` → `SystemMessage`, `user` → `HumanMessage`, `assistant` →
 * `AIMessage`.
 *
 * @example
 * ```ts
 * toLangChainMessages([{ role: "user", content: "Hi" }]); // [HumanMessage { content: "Hi" }]
 * ```
 * @throws {InvalidArgumentError} for an unknown role or non-string content.
 */
export function toLangChainMessages(messages: ChatMessage[]): BaseMessage[] {
  if (!Array.isArray(messages)) {
    throw new InvalidArgumentError(
      "messages",
      `expected an array of chat messages, got ${describe(messages)}.`,
    );
  }
  return messages.map((m, i) => {
    if (typeof m?.content !== "string") {
      throw new InvalidArgumentError(
        `messages[${i}].content`,
        `expected a string, got ${describe(m?.content)}.`,
      );
    }
    switch (m.role) {
      case "system":
        return new SystemMessage(m.content);
      case "user":
        return new HumanMessage(m.content);
      case "assistant":
        return new AIMessage(m.content);
      default:
        throw new InvalidArgumentError(
          `messages[${i}].role`,
          `expected "system", "user" or "assistant", got ${describe(m?.role)}.`,
        );
    }
  });
}

/**
 * A LangChain message as one of ours: `human` → `user`, `ai` → `assistant`, `system`/`developer` → `system`, a
 * generic `ChatMessage` by its role. Content blocks become their text parts, joined.
 *
 * @example
 * ```ts
 * fromLangChainMessage(new AIMessage("Hello")); // { role: "assistant", content: "Hello" }
 * ```
 * @throws {InvalidArgumentError} for tool, function and other messages that have no counterpart.
 */
export function fromLangChainMessage(message: BaseMessage): ChatMessage {
  const role = roleOf(message);
  if (role === undefined) {
    throw new InvalidArgumentError(
      "message",
      `a LangChain "${typeOf(message)}" message has no streamdex counterpart (only system, human and ai).`,
    );
  }
  return { role, content: textOf(message.content) };
}

/**
 * The text of a LangChain message content: the string itself, or the text parts of a content-block array (image,
 * tool-call and reasoning blocks are skipped).
 */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let text = "";
  for (const part of content) {
    if (typeof part === "string") text += part;
    else if (isTextBlock(part)) text += part.text;
  }
  return text;
}

/**
 * The reasoning in a LangChain message or chunk: `additional_kwargs.reasoning_content` (what `@langchain/openai`
 * fills from an OpenAI-compatible server's `reasoning_content`, e.g. DeepSeek) and the content's reasoning blocks
 * (`{ type: "reasoning", reasoning }`, LangChain's standard block; `{ type: "thinking", thinking }`, Anthropic's).
 * `""` when there is none.
 */
export function reasoningOf(message: unknown): string {
  if (typeof message !== "object" || message === null) return "";
  const { content, additional_kwargs: kwargs } = message as {
    content?: unknown;
    additional_kwargs?: unknown;
  };
  let text = "";
  const fromKwargs = (kwargs as { reasoning_content?: unknown } | undefined)?.reasoning_content;
  if (typeof fromKwargs === "string") text += fromKwargs;
  if (Array.isArray(content)) {
    for (const part of content) {
      if (typeof part !== "object" || part === null) continue;
      const block = part as { type?: unknown; reasoning?: unknown; thinking?: unknown };
      if (block.type === "reasoning" && typeof block.reasoning === "string") text += block.reasoning;
      else if (block.type === "thinking" && typeof block.thinking === "string") text += block.thinking;
    }
  }
  return text;
}

function isTextBlock(part: unknown): part is { text: string } {
  if (typeof part !== "object" || part === null) return false;
  const { type, text } = part as { type?: unknown; text?: unknown };
  return (type === "text" || type === "text_delta") && typeof text === "string";
}

function typeOf(message: BaseMessage): string {
  try {
    return message.getType();
  } catch {
    return "unknown";
  }
}

function roleOf(message: BaseMessage): MessageRole | undefined {
  switch (typeOf(message)) {
    case "human":
      return "user";
    case "ai":
      return "assistant";
    case "system":
    case "developer":
      return "system";
    case "generic": {
      const role = (message as { role?: unknown }).role;
      if (role === "user" || role === "human") return "user";
      if (role === "assistant" || role === "ai") return "assistant";
      return role === "system" ? "system" : undefined;
    }
    default:
      return undefined;
  }
}
