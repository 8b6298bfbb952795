/**
 * Text Generation Inference's wire formats, as its router (Rust, axum) writes them: see router/src/server.rs and
 * router/src/lib.rs in huggingface/text-generation-inference (StreamResponse, StreamDetails, GenerateResponse,
 * ChatCompletionChunk, ErrorResponse, Info) and axum's `Event::json_data`, which writes `data:` with no space.
 */

/** TGI's `Token`. */
export interface TGIToken {
  id: number;
  text: string;
  logprob: number;
  special: boolean;
}

/** TGI's finish reasons (`FinishReason`), and the Messages API's names for them. */
export type FinishReason = "length" | "eos_token" | "stop_sequence";

/** What one generation produces. */
export interface GenerationPlan {
  tokens: TGIToken[];
  finishReason: FinishReason;
  /** The text without special tokens, as TGI's `generated_text`. */
  generatedText: string;
}

/** What the generation needs from the request. */
export interface PlanOptions {
  maxNewTokens: number;
  stop: string[];
  eosToken: string;
}

/** The fingerprint the fake's chat answers carry: `<version>-<docker label>`. */
export const TGI_VERSION = "3.0.1";
export const SYSTEM_FINGERPRINT = `${TGI_VERSION}-native`;

/** Estimated tokens of a text: `ceil(utf8 bytes / 4)`. */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, "utf8") / 4);
}

/** 32-bit FNV-1a hash of a string's UTF-8 bytes. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, "utf8")) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A deterministic token for a text. */
export function tokenOf(text: string, special = false): TGIToken {
  const h = fnv1a(text);
  return { id: special ? 2 : 3 + (h % 32_000), text, logprob: -((h % 997) / 1000) - 0.001, special };
}

/**
 * Plans a generation the way TGI stops one: after `max_new_tokens`, at a stop sequence (included in the text), or
 * with the EOS token (a special token, counted in `generated_tokens`, absent from `generated_text`).
 */
export function planGeneration(content: string[], opts: PlanOptions): GenerationPlan {
  const tokens: TGIToken[] = [];
  let text = "";
  for (const piece of content) {
    if (tokens.length >= opts.maxNewTokens) return { tokens, finishReason: "length", generatedText: text };
    tokens.push(tokenOf(piece));
    text += piece;
    if (opts.stop.some((s) => s !== "" && text.endsWith(s))) {
      return { tokens, finishReason: "stop_sequence", generatedText: text };
    }
  }
  if (tokens.length >= opts.maxNewTokens) return { tokens, finishReason: "length", generatedText: text };
  tokens.push(tokenOf(opts.eosToken, true));
  return { tokens, finishReason: "eos_token", generatedText: text };
}

/** `/generate_stream`: one event per token but the last (`generated_text` and `details` null). */
export function streamTokenEvent(index: number, token: TGIToken): Record<string, unknown> {
  return { index, token, generated_text: null, details: null };
}

/** `/generate_stream`: the last event; `details` only when the request asked for `details: true`. */
export function streamFinalEvent(
  index: number,
  token: TGIToken,
  plan: GenerationPlan,
  inputLength: number,
  withDetails: boolean,
): Record<string, unknown> {
  const details = withDetails
    ? {
        finish_reason: plan.finishReason,
        generated_tokens: plan.tokens.length,
        seed: null,
        input_length: inputLength,
      }
    : null;
  return { index, token, generated_text: plan.generatedText, details };
}

/** `/generate`: `{ generated_text, details? }` (`details` is left out unless asked for). */
export function generateBody(plan: GenerationPlan, withDetails: boolean): Record<string, unknown> {
  if (!withDetails) return { generated_text: plan.generatedText };
  return {
    generated_text: plan.generatedText,
    details: {
      finish_reason: plan.finishReason,
      generated_tokens: plan.tokens.length,
      seed: null,
      prefill: [],
      tokens: plan.tokens,
    },
  };
}

/** The Messages API's finish reason (TGI's `FinishReason::format(true)`). */
export function chatFinishReason(reason: FinishReason): string {
  return reason === "length" ? "length" : "stop";
}

/** What every chat answer of one request shares. */
export interface ChatMeta {
  model: string;
  created: number;
}

/** Token counts in the Messages API's `usage`. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** Builds a usage object. */
export function usageOf(prompt: number, completion: number): Usage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/**
 * One `chat.completion.chunk`: TGI sends `role` on every chunk, and `""` for a special token. A `reasoning`
 * choice gives the HF router's reasoning chunk instead: `{ role: "assistant", <field>: "…" }`, no `content`.
 */
export function chatChunk(
  meta: ChatMeta,
  choice:
    | { content: string; finishReason: string | null }
    | { reasoning: string; field: "reasoning_content" | "reasoning" }
    | null,
  usage: Usage | null = null,
): Record<string, unknown> {
  const choices =
    choice === null
      ? []
      : [
          "reasoning" in choice
            ? {
                index: 0,
                delta: { role: "assistant", [choice.field]: choice.reasoning },
                logprobs: null,
                finish_reason: null,
              }
            : {
                index: 0,
                delta: { role: "assistant", content: choice.content },
                logprobs: null,
                finish_reason: choice.finishReason,
              },
        ];
  return {
    object: "chat.completion.chunk",
    id: "",
    created: meta.created,
    model: meta.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices,
    usage,
  };
}

/** A non-stream `chat.completion`. */
export function chatCompletionBody(
  meta: ChatMeta,
  content: string,
  finishReason: string,
  usage: Usage,
  reasoning?: { field: "reasoning_content" | "reasoning"; text: string },
): Record<string, unknown> {
  const message: Record<string, unknown> = { role: "assistant", content };
  if (reasoning !== undefined) message[reasoning.field] = reasoning.text;
  return {
    object: "chat.completion",
    id: "",
    created: meta.created,
    model: meta.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
    usage,
  };
}

/**
 * Content tokens of a reasoning model served without a reasoning parser (TGI, llama.cpp's server with
 * `--reasoning-format none`): the `<think>` block opens the content, as Qwen3 / DeepSeek-R1 chat templates make
 * the model write it: `"<think>"`, `"\n"`, the reasoning, `"\n"`, `"</think>"`, `"\n\n"`, then the answer. In
 * those tokenizers the tags are added tokens with `special: false`, so they stay in `generated_text` and in the
 * chat content. `unterminated`: the block never closes (no answer follows it).
 *
 * @example `startFakeTGI({ tokens: thinkBlockTokens(["Okay", ","], ["Paris", "."]) })`
 */
export function thinkBlockTokens(
  reasoning: string[],
  answer: string[],
  options: { unterminated?: boolean } = {},
): string[] {
  if (options.unterminated) return ["<think>", "\n", ...reasoning];
  return ["<think>", "\n", ...reasoning, "\n", "</think>", "\n\n", ...answer];
}

/** Prompt tokens of chat messages, as the fake's chat template would count them: 3 + sum(4 + tokens). */
export function chatPromptTokens(messages: unknown): number {
  if (!Array.isArray(messages)) return 3;
  let total = 3;
  for (const m of messages) {
    const content = typeof m === "object" && m !== null ? (m as { content?: unknown }).content : undefined;
    total += 4 + estimateTokens(typeof content === "string" ? content : "");
  }
  return total;
}

/** `GET /info`: the served model and the router's limits (TGI 3.x field names). */
export function infoBody(
  modelId: string,
  maxInputTokens: number,
  maxTotalTokens: number,
): Record<string, unknown> {
  return {
    model_id: modelId,
    model_sha: "0000000000000000000000000000000000000000",
    model_pipeline_tag: "text-generation",
    max_concurrent_requests: 128,
    max_best_of: 2,
    max_stop_sequences: 4,
    max_input_tokens: maxInputTokens,
    max_total_tokens: maxTotalTokens,
    validation_workers: 2,
    max_client_batch_size: 4,
    router: "text-generation-router",
    version: TGI_VERSION,
    sha: null,
    docker_label: null,
  };
}

/** One SSE event as axum writes it: `data:<json>\n\n`; `space` gives the proxies' `data: <json>\n\n`. */
export function sseEvent(data: unknown, space = false): string {
  const payload = typeof data === "string" ? data : JSON.stringify(data);
  return `data:${space ? " " : ""}${payload}\n\n`;
}

/** axum's keep-alive: an empty comment. */
export const SSE_KEEP_ALIVE = ":\n\n";

/** The Messages API's end of stream, as TGI writes it (`Event::default().data("[DONE]")`). */
export const DONE_PAYLOAD = "[DONE]";

/** The one malformed event `malformedAfterTokens` writes: JSON cut in the middle. */
export const MALFORMED_PAYLOAD = '{"index":3,"token":{"id":';
