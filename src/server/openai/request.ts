import type { ChatTurn } from "../../memory/chat-turn.js";
import { invalidRequest } from "./errors.js";
import type { ResolvedModel, ResolvedOpenAIOptions } from "./options.js";

/** A checked `POST /v1/chat/completions` body. */
export interface CompletionRequest {
  model: ResolvedModel;
  /** The last user message, trimmed: the question. */
  question: string;
  /** The user and assistant turns before it (system and developer messages are left out). */
  history: ChatTurn[];
  stream: boolean;
  /** `stream_options.include_usage`: a usage chunk before `[DONE]`. */
  includeUsage: boolean;
  /** Cite the sources (the `citations` extension, else the model's setting). */
  citations: boolean;
  /** Append a markdown "Sources" list (the `sources_footer` extension, else the model's setting). */
  sourcesFooter: boolean;
}

/** The message roles of OpenAI's API, and those this one answers. */
const ROLES = ["system", "developer", "user", "assistant", "tool", "function"];

/**
 * Checks a chat completions body. Honoured: `model`, `messages`, `stream`, `stream_options.include_usage`, and the
 * extensions `citations` and `sources_footer`; `n` may be 1; `tools`, `functions` and a `response_format` other than
 * text are refused; every other field is accepted and ignored. Throws a 400 `invalid_request_error` naming the field.
 */
export function parseCompletionBody(
  body: unknown,
  options: ResolvedOpenAIOptions,
  maxQuestionChars: number,
): CompletionRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidRequest(null, "invalid_body", "The body must be a JSON object.");
  }
  const o = body as Record<string, unknown>;
  const model = checkModel(o.model, options);
  refuseUnsupported(o);
  const stream = optionalBoolean(o.stream, "stream") ?? false;
  let includeUsage = false;
  if (o.stream_options !== undefined && o.stream_options !== null) {
    if (typeof o.stream_options !== "object" || Array.isArray(o.stream_options)) {
      throw typeError("stream_options", "an object", o.stream_options);
    }
    const value = (o.stream_options as Record<string, unknown>).include_usage;
    includeUsage = optionalBoolean(value, "stream_options.include_usage") ?? false;
  }
  const { question, history } = checkMessages(o.messages, options.maxMessages, maxQuestionChars);
  return {
    model,
    question,
    history,
    stream,
    includeUsage,
    citations: optionalBoolean(o.citations, "citations") ?? model.citations,
    sourcesFooter: optionalBoolean(o.sources_footer, "sources_footer") ?? model.sourcesFooter,
  };
}

function checkModel(value: unknown, options: ResolvedOpenAIOptions): ResolvedModel {
  if (value === undefined || value === null) return options.models.get(options.defaultModel)!;
  if (typeof value !== "string") throw typeError("model", "a string", value);
  const model = options.models.get(value);
  if (!model) {
    const known = [...options.models.keys()].map((id) => `'${id}'`).join(", ");
    throw invalidRequest(
      "model",
      "model_not_found",
      `The model '${clip(value)}' does not exist. Models: ${known} (GET /v1/models lists them).`,
    );
  }
  return model;
}

/** Refuses what this API cannot do rather than silently answering something else. */
function refuseUnsupported(o: Record<string, unknown>): void {
  if (o.n !== undefined && o.n !== null) {
    if (!Number.isInteger(o.n)) throw typeError("n", "an integer", o.n);
    if (o.n !== 1) {
      throw invalidRequest("n", "unsupported_value", `Invalid 'n': only 1 choice is supported, got ${o.n}.`);
    }
  }
  for (const field of ["tools", "functions"]) {
    const value = o[field];
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) continue;
    throw invalidRequest(
      field,
      "unsupported_parameter",
      `'${field}' is not supported: this model answers from its documents and calls no tools.`,
    );
  }
  const format = o.response_format;
  if (format !== undefined && format !== null) {
    const type = typeof format === "object" ? (format as { type?: unknown }).type : undefined;
    if (type !== "text") {
      throw invalidRequest(
        "response_format",
        "unsupported_value",
        "Invalid 'response_format': only { type: 'text' } is supported.",
      );
    }
  }
}

function checkMessages(
  value: unknown,
  maxMessages: number,
  maxQuestionChars: number,
): { question: string; history: ChatTurn[] } {
  if (value === undefined || value === null) {
    throw invalidRequest("messages", "missing_required_parameter", "Missing required parameter: 'messages'.");
  }
  if (!Array.isArray(value)) throw typeError("messages", "an array", value);
  if (value.length === 0) {
    throw invalidRequest(
      "messages",
      "empty_array",
      "Invalid 'messages': empty array. Expected an array with minimum length 1.",
    );
  }
  if (value.length > maxMessages) {
    throw invalidRequest(
      "messages",
      "array_above_max_length",
      `Invalid 'messages': array too long. Expected at most ${maxMessages} messages, got ${value.length}.`,
    );
  }
  const turns: { role: string; content: string }[] = value.map((m: unknown, i) => checkMessage(m, i));
  const last = turns.findLastIndex((t) => t.role === "user");
  if (last === -1) {
    throw invalidRequest(
      "messages",
      "invalid_value",
      "Invalid 'messages': there is no user message to answer.",
    );
  }
  const param = `messages[${last}].content`;
  const question = turns[last]!.content.trim();
  if (question === "")
    throw invalidRequest(param, "empty_string", `Invalid '${param}': the question is empty.`);
  if (question.length > maxQuestionChars) {
    throw invalidRequest(
      param,
      "string_above_max_length",
      `Invalid '${param}': the question is ${question.length} characters long; the limit is ${maxQuestionChars}.`,
    );
  }
  const history: ChatTurn[] = [];
  for (const t of turns.slice(0, last)) {
    if ((t.role === "user" || t.role === "assistant") && t.content.trim() !== "") {
      history.push({ role: t.role, content: t.content });
    }
  }
  return { question, history };
}

/** One message: its role and its text (the text parts of an array content, joined). */
function checkMessage(m: unknown, i: number): { role: string; content: string } {
  const at = `messages[${i}]`;
  if (typeof m !== "object" || m === null || Array.isArray(m)) throw typeError(at, "an object", m);
  const { role, content } = m as { role?: unknown; content?: unknown };
  if (role === undefined) {
    throw invalidRequest(
      `${at}.role`,
      "missing_required_parameter",
      `Missing required parameter: '${at}.role'.`,
    );
  }
  if (typeof role !== "string" || !ROLES.includes(role)) {
    throw invalidRequest(
      `${at}.role`,
      "invalid_value",
      `Invalid value for '${at}.role': ${clip(String(role))}. Supported values are: ${ROLES.map((r) => `'${r}'`).join(", ")}.`,
    );
  }
  if (role === "tool" || role === "function") {
    throw invalidRequest(
      `${at}.role`,
      "unsupported_value",
      `'${role}' messages are not supported: this model calls no tools.`,
    );
  }
  if (content === undefined || content === null) {
    if (role === "assistant") return { role, content: "" }; // e.g. an assistant turn that only called tools
    throw invalidRequest(
      `${at}.content`,
      "missing_required_parameter",
      `Missing required parameter: '${at}.content'.`,
    );
  }
  if (typeof content === "string") return { role, content };
  if (!Array.isArray(content))
    throw typeError(`${at}.content`, "a string or an array of content parts", content);
  const texts: string[] = [];
  for (const [j, part] of content.entries()) {
    const where = `${at}.content[${j}]`;
    if (typeof part !== "object" || part === null) throw typeError(where, "an object", part);
    const { type, text, refusal } = part as { type?: unknown; text?: unknown; refusal?: unknown };
    if (type === "text" && typeof text === "string") texts.push(text);
    else if (type === "text") throw typeError(`${where}.text`, "a string", text);
    else if (type === "refusal" && role === "assistant" && typeof refusal === "string") continue;
    else {
      throw invalidRequest(
        `${where}.type`,
        "unsupported_value",
        `Invalid '${where}.type': only text content is supported, got ${clip(String(type))}.`,
      );
    }
  }
  return { role, content: texts.join("") };
}

function optionalBoolean(value: unknown, param: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw typeError(param, "a boolean", value);
  return value;
}

function typeError(param: string, expected: string, got: unknown) {
  const type = typeof got;
  const kind =
    got === null ? "null" : Array.isArray(got) ? "an array" : `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`;
  return invalidRequest(
    param,
    "invalid_type",
    `Invalid type for '${param}': expected ${expected}, but got ${kind} instead.`,
  );
}

/** A client's value, short enough for an error message. */
function clip(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}…` : value;
}
