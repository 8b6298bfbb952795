import { InvalidArgumentError, StreamdexError } from "../errors/index.js";
import { onAbort, sleep, throwIfAborted } from "../utils/abort.js";
import { BaseLLM } from "./base-llm.js";
import type {
  CompletionResponse,
  LLMCallOptions,
  LLMMetadata,
  LLMStream,
  LLMStreamPart,
  TokenUsage,
} from "./types.js";

/** How {@link MockLLM} cuts its answer into chunks. */
export type MockChunking = "word" | "char" | number | ((text: string) => string[]);

/** Options of {@link MockLLM}. Every delay honours the call's `AbortSignal`. */
export interface MockLLMOptions {
  /** The answer: fixed text, or computed from the prompt and the call's index. Default: echo the prompt. */
  response?: string | ((prompt: string, callIndex: number) => string);
  /**
   * The model's reasoning, streamed as `reasoning-delta` parts before the answer (cut like it), and counted in
   * usage as `reasoningTokens`. Default: none.
   */
  reasoning?: string | ((prompt: string, callIndex: number) => string);
  /** How the answer is cut into chunks: `"word"` (default, whitespace kept on the left), `"char"`, N chars, or a function. */
  chunking?: MockChunking;
  /** Delay before the call is accepted (before `streamComplete` resolves), in ms. */
  acceptDelayMs?: number;
  /** Delay before the first chunk, in ms (or per call, from the call's index). */
  firstChunkDelayMs?: number | ((callIndex: number) => number);
  /** Delay between chunks, in ms. */
  chunkDelayMs?: number;
  /** `false` makes a model that cannot stream (for testing `NotImplementedError`). Default `true`. */
  streaming?: boolean;
  /** Fail the call before it is accepted (like a 401), for the calls this selects. */
  failOnStart?: (callIndex: number) => Error | undefined;
  /** Throw mid-stream after this many chunks. */
  failAfterChunks?: number;
  /** Report token usage on the last chunk (default `true`). */
  reportUsage?: boolean;
  /** Overrides of the default metadata. */
  metadata?: Partial<LLMMetadata>;
}

/** One call {@link MockLLM} received. */
export interface MockLLMCall {
  /** 0-based order in which calls were made. */
  index: number;
  prompt: string;
  /** Whether the call was a streaming one. */
  streamed: boolean;
  /** Chunks generated so far (for a lazily pulled stream: chunks pulled by the consumer). */
  chunksProduced: number;
  /** The call was aborted (signal, `break`, `cancel()`) before it finished. */
  aborted: boolean;
  finished: boolean;
  /** @internal Detaches the call's abort listener once it is over. */
  release?: () => void;
}

const DEFAULT_METADATA: LLMMetadata = {
  model: "mock",
  contextWindow: 4096,
  numOutput: 256,
  isChatModel: false,
};

/**
 * A deterministic LLM for tests, docs and benchmarks. It streams lazily (one chunk per `next()`), records every
 * call and honours abort.
 *
 * @example
 * ```ts
 * const llm = new MockLLM({ response: "Paris is the capital.", chunkDelayMs: 5 });
 * const engine = index.asQueryEngine({ streaming: true, llm });
 * ```
 */
export class MockLLM extends BaseLLM {
  readonly metadata: LLMMetadata;
  /** Every call made, in order. */
  readonly calls: MockLLMCall[] = [];
  private readonly options: MockLLMOptions;

  constructor(options: MockLLMOptions = {}) {
    super();
    for (const key of ["acceptDelayMs", "chunkDelayMs", "failAfterChunks"] as const) {
      const v = options[key];
      if (v !== undefined && (typeof v !== "number" || v < 0 || !Number.isFinite(v))) {
        throw new InvalidArgumentError(key, `expected a number >= 0, got ${String(v)}.`);
      }
    }
    this.options = options;
    this.metadata = { ...DEFAULT_METADATA, ...options.metadata };
    // A non-streaming mock has no streaming implementation at all, so BaseLLM reports and enforces it.
    if (options.streaming === false) Object.defineProperty(this, "doStreamComplete", { value: undefined });
  }

  /** Number of streaming calls made. */
  get streamedCalls(): number {
    return this.calls.filter((c) => c.streamed).length;
  }

  protected override async doComplete(prompt: string, options: LLMCallOptions): Promise<CompletionResponse> {
    const call = await this.start(prompt, false, options.signal);
    const chunks = this.chunksFor(prompt, call.index);
    try {
      // The same generation time a stream would take, all before the answer.
      const chunkDelay = (this.options.chunkDelayMs ?? 0) * Math.max(0, chunks.length - 1);
      await sleep(this.firstChunkDelay(call.index) + chunkDelay, options.signal);
    } catch (error) {
      call.release?.();
      throw error;
    }
    const reasoning = this.reasoningFor(prompt, call.index);
    call.chunksProduced = chunks.length + reasoning.length;
    call.finished = true;
    call.release?.();
    return {
      text: chunks.join(""),
      ...(reasoning.length > 0 ? { reasoning: reasoning.join("") } : {}),
      usage: this.usage(prompt, chunks.length, reasoning.length),
      finishReason: "stop",
    };
  }

  protected override async doStreamComplete(prompt: string, options: LLMCallOptions): Promise<LLMStream> {
    const call = await this.start(prompt, true, options.signal);
    return this.generate(
      call,
      this.reasoningFor(prompt, call.index),
      this.chunksFor(prompt, call.index),
      options.signal,
    );
  }

  private async start(
    prompt: string,
    streamed: boolean,
    signal: AbortSignal | undefined,
  ): Promise<MockLLMCall> {
    const call: MockLLMCall = {
      index: this.calls.length,
      prompt,
      streamed,
      chunksProduced: 0,
      aborted: false,
      finished: false,
    };
    this.calls.push(call);
    try {
      await sleep(this.options.acceptDelayMs ?? 0, signal);
    } catch (error) {
      call.aborted = true;
      throw error;
    }
    if (signal) {
      call.release = onAbort(signal, () => {
        if (!call.finished) call.aborted = true;
      });
    }
    const failure = this.options.failOnStart?.(call.index);
    if (failure) {
      call.finished = true;
      call.release?.();
      throw failure;
    }
    return call;
  }

  private async *generate(
    call: MockLLMCall,
    reasoning: string[],
    chunks: string[],
    signal: AbortSignal | undefined,
  ): AsyncGenerator<LLMStreamPart> {
    const total = reasoning.length + chunks.length;
    try {
      for (let i = 0; i < total; i++) {
        await sleep(i === 0 ? this.firstChunkDelay(call.index) : (this.options.chunkDelayMs ?? 0), signal);
        throwIfAborted(signal);
        if (this.options.failAfterChunks !== undefined && i === this.options.failAfterChunks) {
          throw new StreamdexError(`MockLLM: simulated failure after ${i} chunks.`, { code: "mock_failure" });
        }
        call.chunksProduced++;
        yield i < reasoning.length
          ? { type: "reasoning-delta", text: reasoning[i]! }
          : { type: "text-delta", text: chunks[i - reasoning.length]! };
        if (i === total - 1) {
          yield {
            type: "finish",
            usage: this.usage(call.prompt, chunks.length, reasoning.length),
            finishReason: "stop",
          };
        }
      }
      call.finished = true;
    } finally {
      if (!call.finished) call.aborted = true;
      call.release?.();
    }
  }

  private firstChunkDelay(callIndex: number): number {
    const d = this.options.firstChunkDelayMs;
    return typeof d === "function" ? d(callIndex) : (d ?? 0);
  }

  private chunksFor(prompt: string, index: number): string[] {
    const r = this.options.response;
    const text = r === undefined ? prompt : typeof r === "string" ? r : r(prompt, index);
    return splitChunks(text, this.options.chunking ?? "word");
  }

  private reasoningFor(prompt: string, index: number): string[] {
    const r = this.options.reasoning;
    if (r === undefined) return [];
    return splitChunks(typeof r === "string" ? r : r(prompt, index), this.options.chunking ?? "word");
  }

  private usage(prompt: string, answerTokens: number, reasoningTokens = 0): TokenUsage | undefined {
    if (this.options.reportUsage === false) return undefined;
    const promptTokens = splitChunks(prompt, "word").length;
    const completionTokens = answerTokens + reasoningTokens;
    return {
      promptTokens,
      completionTokens,
      totalTokens: promptTokens + completionTokens,
      ...(reasoningTokens > 0 ? { reasoningTokens } : {}),
    };
  }
}

function splitChunks(text: string, chunking: MockChunking): string[] {
  if (typeof chunking === "function") return chunking(text);
  if (chunking === "char") return Array.from(text);
  if (chunking === "word") return text.match(/\s*\S+\s*$|\s*\S+/g) ?? (text === "" ? [] : [text]);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += chunking) out.push(text.slice(i, i + chunking));
  return out;
}
