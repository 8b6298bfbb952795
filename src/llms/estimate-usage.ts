import type { Tokenizer } from "../utils/tokenizer.js";
import type { TokenUsage } from "./types.js";

/**
 * A call's usage counted with a tokenizer, for a provider that did not report it (or a call cancelled or cut
 * before it could): the prompt, and the answer and reasoning as far as they were delivered. Flagged
 * `estimated: true`.
 *
 * @example
 * ```ts
 * estimateUsage(Settings.tokenizer, prompt, res.responseTxt, res.reasoningTxt);
 * // { promptTokens: 812, completionTokens: 64, totalTokens: 876, estimated: true }
 * ```
 */
export function estimateUsage(
  tokenizer: Tokenizer,
  prompt: string,
  text: string,
  reasoning = "",
): TokenUsage {
  const promptTokens = tokenizer.countTokens(prompt);
  const reasoningTokens = reasoning === "" ? 0 : tokenizer.countTokens(reasoning);
  const completionTokens = (text === "" ? 0 : tokenizer.countTokens(text)) + reasoningTokens;
  return {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    ...(reasoningTokens > 0 ? { reasoningTokens } : {}),
    estimated: true,
  };
}
