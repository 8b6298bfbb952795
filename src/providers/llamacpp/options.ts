import { availableParallelism } from "node:os";
import type { Llama } from "node-llama-cpp";
import { InvalidArgumentError } from "../../errors/index.js";
import { type ThinkTagsOption, validateThinkTags } from "../../llms/think-tokens.js";
import {
  optionalBoolean,
  optionalInteger,
  optionalNumber,
  requireNonEmptyString,
} from "../../utils/validate.js";

/** Options of {@link LlamaCpp}. */
export interface LlamaCppOptions {
  /**
   * A local `.gguf` file, or a URI node-llama-cpp downloads on first use (`hf:user/repo:Q4_K_M`,
   * `hf:user/repo/file.gguf`, `https://…/model.gguf`).
   */
  modelPath: string;
  /** Where URIs are downloaded to (default: node-llama-cpp's `~/.node-llama-cpp/models`). */
  modelsDirectory?: string;
  /** Tokens per sequence: prompt plus answer (default 2048, capped to the model's training context). */
  contextSize?: number;
  /**
   * CPU threads per evaluation. Default: 1 on machines with 2 cores or fewer, else `min(4, cores - 1)`. llama.cpp's
   * threads spin-wait on each other, so more threads than idle cores is ruinous: on a 2-core VM, 2 threads
   * generated 1.8x (85 MB model) to 130x (tiny model) slower than 1, and node-llama-cpp's own default (4) 280x
   * slower.
   */
  threads?: number;
  /** Sampling temperature; 0 (the default) is greedy and deterministic. */
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  /** Sampling seed, for reproducible answers at `temperature > 0`. */
  seed?: number;
  /** Most tokens per answer (default: 512, or a quarter of the context if smaller). */
  maxTokens?: number;
  /** Use a GPU (Metal, CUDA or Vulkan) when there is one (default `false`: CPU only, no GPU probing). */
  gpu?: boolean;
  /** Answers generated in parallel per context (default 1); further concurrent calls wait their turn. */
  sequences?: number;
  /**
   * Wrap prompts in the model's chat template (default: whether the GGUF ships `tokenizer.chat_template`). When
   * `false`, `complete()` feeds the raw prompt and chat messages are flattened into one prompt.
   */
  isChatModel?: boolean;
  /**
   * Chunks llama.cpp may generate ahead of the reader (default 4). A reader that stops reading stops generation
   * after this many; 0 generates only while the reader waits.
   */
  readAheadTokens?: number;
  /** Called with every token llama.cpp generates, read or not (metrics, tests). */
  onToken?: (token: number) => void;
  /**
   * Split a `<think>…</think>` block that opens the answer (Qwen3, DeepSeek-R1 distills, QwQ) into reasoning
   * parts (`reasoning-delta`, `ChatResponse.reasoning`), apart from the answer text. Default: on when the GGUF's
   * `tokenizer.chat_template` contains `"<think>"`. `false` leaves the block in the answer text; `true` splits
   * whatever the template; `{ open, close }` splits at other tags. When the prompt as sent ends with the open
   * tag (templates that pre-fill `<think>\n`, as DeepSeek-R1 distills and Qwen3-Thinking-2507 do, or a raw
   * prompt ending with it), the output starts inside the reasoning and is split at the close tag alone. The
   * reasoning tokens are counted in `usage.reasoningTokens`, and a block that never closes ends with
   * `finishReason: "unterminated-reasoning"`.
   */
  thinkTags?: ThinkTagsOption;
  /**
   * A node-llama-cpp `Llama` runtime to use (from `getLlama(...)`, for custom GPU, logging or memory settings).
   * Default: one CPU runtime (or GPU runtime with `gpu: true`) shared by every instance.
   */
  llama?: Llama;
}

/** Options after defaults and validation. */
export interface ResolvedLlamaCppOptions {
  modelPath: string;
  modelsDirectory: string | undefined;
  contextSize: number;
  threads: number;
  maxTokens: number | undefined;
  gpu: boolean;
  sequences: number;
  readAheadTokens: number;
  temperature: number;
  topK: number | undefined;
  topP: number | undefined;
  minP: number | undefined;
  seed: number | undefined;
  /** `undefined`: decided from the chat template once the model is loaded. */
  thinkTags: ThinkTagsOption | undefined;
}

/** The default thread count for this machine (see {@link LlamaCppOptions.threads}). */
export function defaultThreads(cores = availableParallelism()): number {
  return cores <= 2 ? 1 : Math.min(4, cores - 1);
}

/** Validates options, naming the option at fault. */
export function resolveOptions(options: LlamaCppOptions): ResolvedLlamaCppOptions {
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError("options", 'expected { modelPath: "path/to/model.gguf" }.');
  }
  const modelPath = requireNonEmptyString(
    "modelPath",
    options.modelPath,
    'Pass the path of a .gguf file, or an hf: URI such as "hf:user/repo:Q4_K_M".',
  );
  if (options.modelsDirectory !== undefined) {
    requireNonEmptyString("modelsDirectory", options.modelsDirectory, "Pass a directory path.");
  }
  if (options.onToken !== undefined && typeof options.onToken !== "function") {
    throw new InvalidArgumentError("onToken", "expected a function.");
  }
  return {
    modelPath,
    modelsDirectory: options.modelsDirectory,
    contextSize: optionalInteger("contextSize", options.contextSize, 16, 2048),
    threads: optionalInteger("threads", options.threads, 1, defaultThreads()),
    maxTokens:
      options.maxTokens === undefined ? undefined : optionalInteger("maxTokens", options.maxTokens, 1, 1),
    gpu: optionalBoolean("gpu", options.gpu, false),
    sequences: optionalInteger("sequences", options.sequences, 1, 1),
    readAheadTokens: optionalInteger("readAheadTokens", options.readAheadTokens, 0, 4),
    temperature: optionalNumber("temperature", options.temperature, 0, 100, 0),
    topK: options.topK === undefined ? undefined : optionalInteger("topK", options.topK, 0, 0),
    topP: options.topP === undefined ? undefined : optionalNumber("topP", options.topP, 0, 1, 1),
    minP: options.minP === undefined ? undefined : optionalNumber("minP", options.minP, 0, 1, 0),
    seed: options.seed === undefined ? undefined : optionalInteger("seed", options.seed, 0, 0),
    thinkTags: validateThinkTags(options.thinkTags),
  };
}
