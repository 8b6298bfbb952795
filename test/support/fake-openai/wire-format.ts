import { mulberry32 } from "../prng.js";

/** Token counts in OpenAI's `usage` object. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Only for an answer with reasoning; `completion_tokens` then includes the reasoning tokens. */
  completion_tokens_details?: { reasoning_tokens: number };
}

/** The fields that carry a reasoning model's reasoning (see `FaultConfig.reasoningField`). */
export type ReasoningField = "reasoning_content" | "reasoning";

/** A non-stream answer's reasoning: `message[field] = value`. */
export interface MessageReasoning {
  field: ReasoningField;
  value: unknown;
}

/** Fields shared by every chunk and body of one answer. */
export interface AnswerMeta {
  id: string;
  created: number;
  model: string;
}

/** The fingerprint every fake chat answer carries. */
export const SYSTEM_FINGERPRINT = "fp_fake";

/** Estimated tokens of a text: `ceil(utf8 bytes / 4)`. */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, "utf8") / 4);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p) => (isRecord(p) && typeof p.text === "string" ? p.text : "")).join("");
}

/** Deterministic prompt-token estimate for chat messages: 3 + sum(4 + tokens(content)). */
export function chatPromptTokens(body: Record<string, unknown>): number {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  let total = 3;
  for (const m of messages) total += 4 + estimateTokens(isRecord(m) ? contentText(m.content) : "");
  return total;
}

/** Deterministic prompt-token estimate for a legacy completions prompt. */
export function completionPromptTokens(body: Record<string, unknown>): number {
  const p = body.prompt;
  if (typeof p === "string") return estimateTokens(p);
  if (Array.isArray(p))
    return p.reduce<number>((n, s) => n + (typeof s === "string" ? estimateTokens(s) : 1), 0);
  return 0;
}

/**
 * Builds a usage object. With `reasoning` (a number, even 0), `completion_tokens` counts the reasoning tokens
 * too and `completion_tokens_details.reasoning_tokens` gives them, as OpenAI and DeepSeek report them.
 */
export function usageOf(prompt: number, completion: number, reasoning?: number): Usage {
  if (reasoning === undefined) {
    return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  }
  const all = completion + reasoning;
  return {
    prompt_tokens: prompt,
    completion_tokens: all,
    total_tokens: prompt + all,
    completion_tokens_details: { reasoning_tokens: reasoning },
  };
}

/**
 * The delta of one streamed reasoning chunk: `{ [field]: value }`, with `content` left out (`"omit"`, as vLLM
 * and llama.cpp send it), `null` (DeepSeek's API) or `""` (Ollama, OpenRouter).
 */
export function reasoningDelta(
  field: ReasoningField,
  value: unknown,
  content: "omit" | "null" | "empty",
): Record<string, unknown> {
  if (content === "omit") return { [field]: value };
  return { content: content === "null" ? null : "", [field]: value };
}

/** Picks the tokens to send and the finish reason, honouring `max_tokens` / `max_completion_tokens`. */
export function planTokens(
  body: Record<string, unknown>,
  tokens: string[],
): { tokens: string[]; finishReason: "stop" | "length" } {
  const max = body.max_tokens ?? body.max_completion_tokens;
  if (typeof max === "number" && max >= 0 && max < tokens.length) {
    return { tokens: tokens.slice(0, max), finishReason: "length" };
  }
  return { tokens, finishReason: "stop" };
}

/** Non-stream `chat.completion` body. */
export function chatCompletionBody(
  meta: AnswerMeta,
  content: string,
  finishReason: string,
  usage: Usage,
  reasoning?: MessageReasoning,
): Record<string, unknown> {
  const message: Record<string, unknown> = { role: "assistant", content };
  if (reasoning !== undefined) message[reasoning.field] = reasoning.value;
  message.refusal = null;
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message,
        logprobs: null,
        finish_reason: finishReason,
      },
    ],
    usage,
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
}

/** One `chat.completion.chunk`; `usage` is included only when not `undefined` (null on normal chunks). */
export function chatChunk(
  meta: AnswerMeta,
  choices: unknown[],
  usage: Usage | null | undefined,
): Record<string, unknown> {
  const chunk: Record<string, unknown> = {
    id: meta.id,
    object: "chat.completion.chunk",
    created: meta.created,
    model: meta.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices,
  };
  if (usage !== undefined) chunk.usage = usage;
  return chunk;
}

/** A chat chunk choice. */
export function chatChoice(delta: Record<string, unknown>, finishReason: string | null): unknown {
  return { index: 0, delta, logprobs: null, finish_reason: finishReason };
}

/** Non-stream legacy `text_completion` body. */
export function completionBody(
  meta: AnswerMeta,
  text: string,
  finishReason: string,
  usage: Usage,
): Record<string, unknown> {
  return {
    id: meta.id,
    object: "text_completion",
    created: meta.created,
    model: meta.model,
    choices: [{ text, index: 0, logprobs: null, finish_reason: finishReason }],
    usage,
  };
}

/** One legacy streaming `text_completion` chunk. */
export function completionChunk(
  meta: AnswerMeta,
  choices: unknown[],
  usage: Usage | null | undefined,
): Record<string, unknown> {
  const chunk: Record<string, unknown> = {
    id: meta.id,
    object: "text_completion",
    created: meta.created,
    model: meta.model,
    choices,
  };
  if (usage !== undefined) chunk.usage = usage;
  return chunk;
}

/** A legacy completion chunk choice. */
export function completionChoice(text: string, finishReason: string | null): unknown {
  return { text, index: 0, logprobs: null, finish_reason: finishReason };
}

/** One SSE event: `data: <json>\n\n`. */
export function sseEvent(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

/** The stream terminator. */
export const SSE_DONE = "data: [DONE]\n\n";

/** The one malformed event `malformedAfterTokens` writes. */
export const SSE_MALFORMED = 'data: {"choices": [oops\n\n';

/** 32-bit FNV-1a hash of a string's UTF-8 bytes. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, "utf8")) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Deterministic unit-length float32 vector for a text. */
export function embeddingVector(text: string, dimensions: number): Float32Array {
  const rand = mulberry32(fnv1a(text));
  const raw = new Float64Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const v = rand() * 2 - 1;
    raw[i] = v;
    norm += v * v;
  }
  norm = Math.sqrt(norm) || 1;
  const out = new Float32Array(dimensions);
  for (let i = 0; i < dimensions; i++) out[i] = (raw[i] ?? 0) / norm;
  return out;
}

/** Base64 of a vector's little-endian float32 bytes (as OpenAI's `encoding_format: "base64"`). */
export function float32ToBase64(v: Float32Array): string {
  const buf = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) buf.writeFloatLE(v[i] ?? 0, i * 4);
  return buf.toString("base64");
}

/** The `/v1/embeddings` list body. */
export function embeddingsBody(
  model: string,
  inputs: string[],
  dimensions: number,
  encoding: "float" | "base64",
): Record<string, unknown> {
  let prompt = 0;
  const data = inputs.map((text, index) => {
    prompt += estimateTokens(text);
    const v = embeddingVector(text, dimensions);
    return {
      object: "embedding",
      index,
      embedding: encoding === "base64" ? float32ToBase64(v) : Array.from(v),
    };
  });
  return { object: "list", data, model, usage: { prompt_tokens: prompt, total_tokens: prompt } };
}
