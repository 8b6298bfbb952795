import {
  textAndFinish,
  type WireReasoningFields,
  wireReasoning,
  withReasoning,
} from "../../llms/stream-part.js";
import type { LLMStreamPart, TokenUsage } from "../../llms/types.js";

/** One token of TGI's `/generate_stream` (`Token`). */
export interface TGIToken {
  id?: number;
  text?: string;
  logprob?: number;
  /** EOS and other special tokens: TGI streams them but leaves them out of `generated_text`. */
  special?: boolean;
}

/** The last event's `details` (`StreamDetails`; `input_length` since TGI 2). */
export interface TGIStreamDetails {
  finish_reason?: string;
  generated_tokens?: number;
  seed?: number | null;
  input_length?: number;
}

/** One `/generate_stream` event (`StreamResponse`). */
export interface TGIStreamEvent {
  index?: number;
  token?: TGIToken;
  generated_text?: string | null;
  details?: TGIStreamDetails | null;
}

/** `/generate`'s answer (`GenerateResponse`). */
export interface TGIGenerateResponse {
  generated_text?: string;
  details?: { finish_reason?: string; generated_tokens?: number; prefill?: unknown[] } | null;
}

/** Token counts as the Messages API reports them. */
export interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
}

/** One Messages API chunk (`chat.completion.chunk`), as far as it is read. */
export interface ChatStreamEvent {
  choices?: { delta?: { content?: string | null } & WireReasoningFields; finish_reason?: string | null }[];
  usage?: WireUsage | null;
}

/** A non-stream Messages API answer (`chat.completion`), as far as it is read. */
export interface ChatCompletionBody {
  choices?: { message?: { content?: string | null } & WireReasoningFields; finish_reason?: string | null }[];
  usage?: WireUsage | null;
}

/** Generation settings, in TGI's names for `/generate` and `/generate_stream`. */
export interface GenerateSettings {
  maxNewTokens: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  extraParams?: Record<string, unknown>;
}

/**
 * The `parameters` of a `/generate(_stream)` request. `details: true` makes the last event carry the finish
 * reason and token counts; temperature 0 means greedy (`do_sample: false`), since TGI rejects a zero temperature.
 */
export function generateParameters(s: GenerateSettings): Record<string, unknown> {
  const sampling =
    s.temperature === undefined
      ? {}
      : s.temperature === 0
        ? { do_sample: false }
        : { do_sample: true, temperature: s.temperature };
  return {
    max_new_tokens: s.maxNewTokens,
    ...sampling,
    ...(s.topP !== undefined ? { top_p: s.topP } : {}),
    ...(s.stop && s.stop.length > 0 ? { stop: s.stop } : {}),
    return_full_text: false,
    details: true,
    ...s.extraParams,
  };
}

/** TGI's finish reasons in the Messages API's words, as TGI's own chat route reports them. */
export function finishReasonOf(reason: string): string {
  return reason === "eos_token" || reason === "stop_sequence" ? "stop" : reason;
}

/**
 * One `/generate_stream` event to one chunk: the token's text unless it is special (EOS), and on the last event
 * (the one with `generated_text`) the finish reason and usage from `details`.
 */
export function generateStreamChunk(event: TGIStreamEvent): LLMStreamPart | readonly LLMStreamPart[] {
  const token = event.token;
  const delta = token && token.special !== true && typeof token.text === "string" ? token.text : "";
  const last =
    typeof event.generated_text === "string" || (event.details !== null && event.details !== undefined);
  if (!last) return textAndFinish(delta, undefined, undefined);
  const details = event.details ?? undefined;
  return textAndFinish(
    delta,
    details ? usageOf(details.input_length, details.generated_tokens) : undefined,
    finishReasonOf(details?.finish_reason ?? "stop"),
  );
}

/** One Messages API chunk to one chunk (content, and on the last ones the finish reason and usage). */
export function chatStreamChunk(event: ChatStreamEvent): LLMStreamPart | readonly LLMStreamPart[] {
  const choice = Array.isArray(event.choices) ? event.choices[0] : undefined;
  const delta = typeof choice?.delta?.content === "string" ? choice.delta.content : "";
  return withReasoning(
    wireReasoning(choice?.delta, "delta"),
    textAndFinish(delta, wireUsage(event.usage), choice?.finish_reason ?? undefined),
  );
}

/** Token usage from TGI's counts; undefined when the server gave no completion count. */
export function usageOf(prompt: number | undefined, completion: number | undefined): TokenUsage | undefined {
  if (typeof completion !== "number") return undefined;
  const promptTokens = typeof prompt === "number" ? prompt : 0;
  return { promptTokens, completionTokens: completion, totalTokens: promptTokens + completion };
}

/** Token usage from the Messages API's `usage`. */
export function wireUsage(usage: WireUsage | null | undefined): TokenUsage | undefined {
  if (!usage) return undefined;
  const found = usageOf(usage.prompt_tokens, usage.completion_tokens);
  if (found && typeof usage.total_tokens === "number") found.totalTokens = usage.total_tokens;
  return found;
}
