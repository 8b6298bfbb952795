import { InvalidArgumentError } from "../../errors/index.js";
import { type ThinkTagsOption, validateThinkTags } from "../../llms/think-tokens.js";
import {
  optionalBoolean,
  optionalInteger,
  optionalNumber,
  requireNonEmptyString,
} from "../../utils/validate.js";
import type { HuggingFaceDtype } from "./model-source.js";

/** Where and how precisely a transformers.js model runs; shared by the LLM and the embedding model. */
export interface HuggingFaceModelOptions {
  /**
   * A local model directory (config.json, tokenizer.json, tokenizer_config.json, onnx/model*.onnx), always loaded
   * with remote loading off; or a Hugging Face Hub id (e.g. `"onnx-community/Qwen2.5-0.5B-Instruct"`), which
   * transformers.js downloads and caches unless `env.allowRemoteModels` is `false`.
   */
  model: string;
  /** Weight precision, i.e. which `onnx/model*.onnx` is loaded (default: the model's own choice, else fp32). */
  dtype?: HuggingFaceDtype;
  /** onnxruntime device: `"cpu"` (default), `"cuda"`, `"webgpu"`, `"dml"`, `"coreml"`… */
  device?: string;
}

/** Options of {@link HuggingFaceLLM}. */
export interface HuggingFaceLLMOptions extends HuggingFaceModelOptions {
  /** Most tokens per answer (default: 512, or a quarter of the context if smaller). */
  maxNewTokens?: number;
  /** Sample instead of greedy decoding (default `false`: greedy and deterministic). */
  doSample?: boolean;
  /** Sampling temperature (with `doSample`). */
  temperature?: number;
  /** Keep only the `topK` most likely tokens when sampling. */
  topK?: number;
  /** Nucleus sampling: keep the most likely tokens up to this total probability. */
  topP?: number;
  /**
   * Tokens the model attends to, prompt plus answer (default: config.json's `max_position_embeddings` /
   * `n_positions`, else 2048). Prompt packing fills at most this, less `maxNewTokens`.
   */
  contextWindow?: number;
  /**
   * Wrap prompts in the tokenizer's chat template (default: whether it has one). When `false`, `complete()` feeds
   * the raw prompt and chat messages are flattened into one prompt.
   */
  isChatModel?: boolean;
  /**
   * Chunks generated ahead of the reader at most (default 4). A reader that stops reading stops generation after
   * this many; 0 generates only while the reader waits.
   */
  readAheadTokens?: number;
  /** Called with every token generated, read or not (metrics, tests). */
  onToken?: (token: number) => void;
  /**
   * Split a `<think>…</think>` block that opens the answer (Qwen3, DeepSeek-R1 distills, QwQ) into reasoning
   * parts (`reasoning-delta`, `ChatResponse.reasoning`), apart from the answer text. Default: on when the
   * tokenizer's `chat_template` (tokenizer_config.json or chat_template.jinja) contains `"<think>"`. `false`
   * leaves the block in the answer text; `true` splits whatever the template; `{ open, close }` splits at other
   * tags. When the prompt as sent ends with the open tag (templates that pre-fill `<think>\n`, as DeepSeek-R1
   * distills and Qwen3-Thinking-2507 do, or a raw prompt ending with it), the output starts inside the reasoning
   * and is split at the close tag alone. The reasoning tokens are counted in `usage.reasoningTokens`, and a block
   * that never closes ends with `finishReason: "unterminated-reasoning"`.
   */
  thinkTags?: ThinkTagsOption;
}

/** Model options after defaults and validation. */
export interface ResolvedModelOptions {
  model: string;
  dtype: HuggingFaceDtype | undefined;
  device: string;
}

/** LLM options after defaults and validation. */
export interface ResolvedLLMOptions extends ResolvedModelOptions {
  maxNewTokens: number | undefined;
  doSample: boolean;
  temperature: number | undefined;
  topK: number | undefined;
  topP: number | undefined;
  contextWindow: number | undefined;
  readAheadTokens: number;
  /** `undefined`: decided from the chat template once the tokenizer is loaded. */
  thinkTags: ThinkTagsOption | undefined;
}

const DTYPES = new Set<string>([
  "auto",
  "fp32",
  "fp16",
  "q8",
  "int8",
  "uint8",
  "q4",
  "bnb4",
  "q4f16",
  "q2",
  "q2f16",
  "q1",
  "q1f16",
]);

/** Validates the options shared by the LLM and the embedding model, naming the option at fault. */
export function resolveModelOptions(options: HuggingFaceModelOptions): ResolvedModelOptions {
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError("options", 'expected { model: "path/to/model-dir" or "owner/model-id" }.');
  }
  const model = requireNonEmptyString(
    "model",
    options.model,
    'Pass a local model directory or a Hub id such as "onnx-community/Qwen2.5-0.5B-Instruct".',
  );
  if (options.dtype !== undefined && !DTYPES.has(options.dtype)) {
    throw new InvalidArgumentError(
      "dtype",
      `expected one of ${[...DTYPES].join(", ")}; got ${options.dtype}.`,
    );
  }
  const device = options.device === undefined ? "cpu" : requireNonEmptyString("device", options.device, "");
  return { model, dtype: options.dtype, device };
}

/** Validates {@link HuggingFaceLLMOptions}, naming the option at fault. */
export function resolveLLMOptions(options: HuggingFaceLLMOptions): ResolvedLLMOptions {
  const base = resolveModelOptions(options);
  if (options.onToken !== undefined && typeof options.onToken !== "function") {
    throw new InvalidArgumentError("onToken", "expected a function.");
  }
  const optionalInt = (name: string, value: unknown, min: number) =>
    value === undefined ? undefined : optionalInteger(name, value, min, min);
  return {
    ...base,
    maxNewTokens: optionalInt("maxNewTokens", options.maxNewTokens, 1),
    doSample: optionalBoolean("doSample", options.doSample, false),
    temperature:
      options.temperature === undefined
        ? undefined
        : optionalNumber("temperature", options.temperature, 0, 100, 1),
    topK: optionalInt("topK", options.topK, 0),
    topP: options.topP === undefined ? undefined : optionalNumber("topP", options.topP, 0, 1, 1),
    contextWindow: optionalInt("contextWindow", options.contextWindow, 16),
    readAheadTokens: optionalInteger("readAheadTokens", options.readAheadTokens, 0, 4),
    thinkTags: validateThinkTags(options.thinkTags),
  };
}
