import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseLLM as LangChainBaseLLM } from "@langchain/core/language_models/llms";
import { HumanMessage } from "@langchain/core/messages";
import { InvalidArgumentError, NotImplementedError, ProviderTimeoutError } from "../../errors/index.js";
import { BaseLLM, messagesToPrompt } from "../../llms/base-llm.js";
import type {
  ChatMessage,
  ChatResponse,
  CompletionResponse,
  LLMCallOptions,
  LLMMetadata,
  LLMStream,
} from "../../llms/types.js";
import { throwIfAborted } from "../../utils/abort.js";
import { optionalInteger } from "../../utils/validate.js";
import { chunkMapper, finishReasonOf, toTokenUsage } from "./chunks.js";
import { secretsOf, toStreamdexError } from "./errors.js";
import { startFirstChunkStream } from "./first-chunk-stream.js";
import { reasoningOf, textOf, toLangChainMessages } from "./messages.js";
import { inspectLangChainModel, type LangChainModel, type LangChainModelInfo } from "./model-kind.js";

/** Options of {@link LangChainLLM}. */
export interface LangChainLLMOptions {
  /** The LangChain chat model or LLM to wrap. */
  llm: LangChainModel;
  /** Tokens the model can attend to (default 4096). */
  contextWindow?: number;
  /** Tokens reserved for the answer when packing prompts (default: the model's `maxTokens`, else 256). */
  numOutput?: number;
  /** Longest wait for the next chunk of a stream, once the first has arrived (default 300 000 ms). */
  idleTimeoutMs?: number;
}

/**
 * Any `@langchain/core` chat model (`ChatOpenAI`, `ChatAnthropic`, `ChatOllama`...) or LLM as a streamdex LLM.
 * Streams with the model's `.stream()`: one delta per LangChain chunk, usage from `usage_metadata`, the finish
 * reason from `response_metadata`, aborts passed through as the call's `signal`.
 *
 * `streamComplete`/`streamChat` resolve once the FIRST chunk has arrived (LangChain exposes no earlier "request
 * accepted" moment), so errors before the first token (401, unknown model) reject them, and `query()`.
 *
 * A model whose class does not implement `_streamResponseChunks` would make LangChain silently return the whole
 * answer as one chunk; it is detected at construction, without calling it: `supportsStreaming` is then `false`
 * and a streaming engine throws {@link NotImplementedError}. `complete()`/`chat()` still work (via `invoke()`).
 *
 * @example
 * ```ts
 * import { ChatOpenAI } from "@langchain/openai";
 * import { LangChainLLM } from "streamdex/langchain";
 * Settings.llm = new LangChainLLM({ llm: new ChatOpenAI({ model: "gpt-4o-mini" }), contextWindow: 128_000 });
 * ```
 */
export class LangChainLLM extends BaseLLM {
  /** The wrapped LangChain model. */
  readonly llm: LangChainModel;
  readonly metadata: LLMMetadata;
  /** What was detected about the model (kind, class, name, whether it streams). */
  readonly modelInfo: LangChainModelInfo;
  private readonly idleTimeoutMs: number;
  private readonly secrets: string[];

  constructor(options: LangChainLLMOptions | LangChainModel) {
    super();
    const opts = isOptions(options) ? options : { llm: options };
    this.modelInfo = inspectLangChainModel(opts.llm);
    this.llm = opts.llm;
    this.idleTimeoutMs = optionalInteger("idleTimeoutMs", opts.idleTimeoutMs, 1, 300_000);
    this.secrets = secretsOf(opts.llm);
    this.metadata = {
      model: this.modelInfo.modelName,
      contextWindow: optionalInteger("contextWindow", opts.contextWindow, 1, 4096),
      numOutput: optionalInteger("numOutput", opts.numOutput, 1, maxTokensOf(opts.llm) ?? 256),
      isChatModel: this.modelInfo.kind === "chat",
    };
  }

  /** Whether the wrapped model really streams: its class implements `_streamResponseChunks`. */
  override get supportsStreaming(): boolean {
    return this.modelInfo.streams;
  }

  /** Names the wrapped class and why it cannot stream, for the engine's `NotImplementedError`. */
  get streamingNotSupportedReason(): string | undefined {
    const { className, whyNoStreaming } = this.modelInfo;
    return whyNoStreaming === undefined ? undefined : `${className}: ${whyNoStreaming}`;
  }

  protected override async doComplete(prompt: string, options: LLMCallOptions): Promise<CompletionResponse> {
    if (this.modelInfo.kind === "chat") {
      const res = await this.doChat([{ role: "user", content: prompt }], options);
      return { text: res.message.content, usage: res.usage, finishReason: res.finishReason, raw: res.raw };
    }
    const text = await this.invoke(requireString("prompt", prompt), options, "completion");
    return { text: typeof text === "string" ? text : textOf(text), raw: text };
  }

  protected override async doChat(messages: ChatMessage[], options: LLMCallOptions): Promise<ChatResponse> {
    if (this.modelInfo.kind === "llm") {
      const res = await this.doComplete(messagesToPrompt(messages), options);
      return { message: { role: "assistant", content: res.text }, raw: res.raw };
    }
    const message = await this.invoke(toLangChainMessages(messages), options, "chat");
    const fields = message as { content?: unknown; usage_metadata?: Parameters<typeof toTokenUsage>[0] };
    return {
      message: { role: "assistant", content: textOf(fields?.content) },
      ...(reasoningOf(message) !== "" ? { reasoning: reasoningOf(message) } : {}),
      usage: toTokenUsage(fields?.usage_metadata),
      finishReason: finishReasonOf(message),
      raw: message,
    };
  }

  protected override async doStreamComplete(prompt: string, options: LLMCallOptions): Promise<LLMStream> {
    requireString("prompt", prompt);
    const input = this.modelInfo.kind === "chat" ? [new HumanMessage(prompt)] : prompt;
    return this.stream(input, options);
  }

  protected override async doStreamChat(
    messages: ChatMessage[],
    options: LLMCallOptions,
  ): Promise<LLMStream> {
    const input = this.modelInfo.kind === "chat" ? toLangChainMessages(messages) : messagesToPrompt(messages);
    return this.stream(input, options);
  }

  private async stream(input: LangChainInput, options: LLMCallOptions): Promise<LLMStream> {
    if (!this.modelInfo.streams) throw this.streamingUnsupported();
    const what = this.what("stream");
    return startFirstChunkStream({
      start: (signal) => (this.llm as Callable).stream(input, { signal }),
      signal: options.signal,
      map: chunkMapper(),
      mapError: (error, signal) => toStreamdexError(error, { what, secrets: this.secrets, signal }),
      idleTimeoutMs: this.idleTimeoutMs,
      timeoutError: () =>
        new ProviderTimeoutError(
          `${what} sent no chunk for ${this.idleTimeoutMs} ms. Raise \`idleTimeoutMs\` or check the model.`,
          { provider: "langchain" },
        ),
    });
  }

  private async invoke(input: LangChainInput, options: LLMCallOptions, kind: string): Promise<unknown> {
    throwIfAborted(options.signal);
    try {
      return await (this.llm as Callable).invoke(input, { signal: options.signal });
    } catch (error) {
      throw toStreamdexError(error, { what: this.what(kind), secrets: this.secrets, signal: options.signal });
    }
  }

  private streamingUnsupported(): NotImplementedError {
    return new NotImplementedError(
      `LangChainLLM cannot stream with ${this.modelInfo.className}: ${this.modelInfo.whyNoStreaming}. Use a ` +
        "model that implements streaming, or build the engine without `streaming: true` (complete() and chat() " +
        "still work).",
    );
  }

  private what(call: string): string {
    return `LangChain ${this.modelInfo.className} (${this.modelInfo.modelName}) ${call}`;
  }
}

type LangChainInput = string | ReturnType<typeof toLangChainMessages>;

/** The two methods called on the model, typed loosely enough for both chat models and LLMs. */
interface Callable {
  stream(input: LangChainInput, options: { signal: AbortSignal }): Promise<AsyncIterable<unknown>>;
  invoke(input: LangChainInput, options: { signal: AbortSignal | undefined }): Promise<unknown>;
}

function isOptions(value: LangChainLLMOptions | LangChainModel): value is LangChainLLMOptions {
  if (typeof value !== "object" || value === null) return false;
  return "llm" in value && (value as { lc_runnable?: unknown }).lc_runnable !== true;
}

function maxTokensOf(model: BaseChatModel | LangChainBaseLLM): number | undefined {
  const fields = model as unknown as { maxTokens?: unknown; maxOutputTokens?: unknown };
  for (const v of [fields.maxTokens, fields.maxOutputTokens]) {
    if (typeof v === "number" && Number.isInteger(v) && v > 0) return v;
  }
  return undefined;
}

function requireString(name: string, value: unknown): string {
  if (typeof value !== "string") throw new InvalidArgumentError(name, "expected a string.");
  return value;
}
