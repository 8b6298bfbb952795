import { textAndFinish, withReasoning } from "../../llms/stream-part.js";
import type { LLMStreamPart, TokenUsage } from "../../llms/types.js";
import { addUsage } from "../../schema/response.js";
import { reasoningOf, textOf } from "./messages.js";

/** LangChain's `usage_metadata` (on `AIMessage` and `AIMessageChunk`). */
export interface LangChainUsage {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
}

/**
 * LangChain's `usage_metadata` as our {@link TokenUsage}; undefined when absent or empty.
 *
 * @example
 * ```ts
 * toTokenUsage({ input_tokens: 5, output_tokens: 3, total_tokens: 8 }); // { promptTokens: 5, completionTokens: 3, totalTokens: 8 }
 * ```
 */
export function toTokenUsage(usage: LangChainUsage | null | undefined): TokenUsage | undefined {
  if (typeof usage !== "object" || usage === null) return undefined;
  const promptTokens = count(usage.input_tokens);
  const completionTokens = count(usage.output_tokens);
  const total = count(usage.total_tokens);
  if (promptTokens === undefined && completionTokens === undefined && total === undefined) return undefined;
  return {
    promptTokens: promptTokens ?? 0,
    completionTokens: completionTokens ?? 0,
    totalTokens: total ?? (promptTokens ?? 0) + (completionTokens ?? 0),
  };
}

/** `response_metadata.finish_reason` (OpenAI and most providers) or `stop_reason` (Anthropic), when present. */
export function finishReasonOf(message: unknown): string | undefined {
  const meta = (message as { response_metadata?: Record<string, unknown> } | undefined)?.response_metadata;
  if (typeof meta !== "object" || meta === null) return undefined;
  for (const key of ["finish_reason", "stop_reason"]) {
    const value = meta[key];
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}

/**
 * A mapper from LangChain stream chunks (`AIMessageChunk`s from chat models, strings from LLMs) to the
 * {@link LLMStreamPart}s each carries: its reasoning (`reasoning-delta`, see {@link reasoningOf}), its text, and
 * how the call ended. Usage reported over several chunks (e.g. input tokens on the first, output
 * tokens on the last) is summed the way LangChain merges chunks; each chunk that reports usage carries the
 * running total, so the last one holds the call's usage.
 */
export function chunkMapper(): (chunk: unknown) => LLMStreamPart | readonly LLMStreamPart[] {
  let total: TokenUsage | undefined;
  return (chunk) => {
    if (typeof chunk === "string") return textAndFinish(chunk, undefined, undefined);
    const message = chunk as { content?: unknown; usage_metadata?: LangChainUsage } | null | undefined;
    const delta = textOf(message?.content);
    const usage = toTokenUsage(message?.usage_metadata);
    if (usage) total = addUsage(total, usage);
    return withReasoning(
      reasoningOf(message),
      textAndFinish(delta, usage ? total : undefined, finishReasonOf(message) || undefined, chunk),
      chunk,
    );
  };
}

function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}
