/** What we know about an OpenAI model name: context window and default answer budget. */
export interface OpenAIModelInfo {
  contextWindow: number;
  /** Chat-completions model (`true`) or legacy completions (`false`). */
  isChatModel: boolean;
  /** Reasoning models take `max_completion_tokens` and reject `temperature`. */
  reasoning?: boolean;
}

// Longest prefix wins, so "gpt-4o-mini-2024-07-18" finds "gpt-4o-mini".
const KNOWN: [prefix: string, info: OpenAIModelInfo][] = [
  ["gpt-5", { contextWindow: 400_000, isChatModel: true, reasoning: true }],
  ["gpt-4.1", { contextWindow: 1_047_576, isChatModel: true }],
  ["gpt-4o", { contextWindow: 128_000, isChatModel: true }],
  ["gpt-4-turbo", { contextWindow: 128_000, isChatModel: true }],
  ["gpt-4-32k", { contextWindow: 32_768, isChatModel: true }],
  ["gpt-4", { contextWindow: 8_192, isChatModel: true }],
  ["gpt-3.5-turbo-instruct", { contextWindow: 4_096, isChatModel: false }],
  ["gpt-3.5-turbo", { contextWindow: 16_385, isChatModel: true }],
  ["o1-mini", { contextWindow: 128_000, isChatModel: true, reasoning: true }],
  ["o1", { contextWindow: 200_000, isChatModel: true, reasoning: true }],
  ["o3", { contextWindow: 200_000, isChatModel: true, reasoning: true }],
  ["o4-mini", { contextWindow: 200_000, isChatModel: true, reasoning: true }],
  ["davinci-002", { contextWindow: 16_384, isChatModel: false }],
  ["babbage-002", { contextWindow: 16_384, isChatModel: false }],
];

/** Context window of a model we do not know (a local model behind an OpenAI-compatible server). */
export const UNKNOWN_MODEL_CONTEXT_WINDOW = 4_096;

/** Known facts about `model`, or `undefined` for a name we do not know. */
export function openAIModelInfo(model: string): OpenAIModelInfo | undefined {
  let best: [string, OpenAIModelInfo] | undefined;
  for (const entry of KNOWN) {
    if (model.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
  }
  return best?.[1];
}

/** Input limit (tokens per input) of OpenAI's embedding models. */
export const EMBEDDING_MAX_INPUT_TOKENS = 8_191;
