import type OpenAIClient from "openai";
import type { ChatCompletionChunk, ChatCompletionMessageParam, Completion } from "openai/resources";
import {
  AbortError,
  InvalidArgumentError,
  MalformedResponseError,
  ProviderTimeoutError,
} from "../../errors/index.js";
import { BaseLLM, messagesToPrompt } from "../../llms/base-llm.js";
import {
  textAndFinish,
  type WireReasoningFields,
  wireReasoning,
  wireText,
  withReasoning,
} from "../../llms/stream-part.js";
import type {
  ChatMessage,
  ChatResponse,
  CompletionResponse,
  LLMCallOptions,
  LLMMetadata,
  LLMStream,
  LLMStreamPart,
  TokenUsage,
} from "../../llms/types.js";
import { providerStream } from "../../streaming/provider-stream.js";
import { type OpenAIClientOptions, type ResolvedClient, resolveClient } from "./client.js";
import { type RequestContext, toStreamdexError } from "./errors.js";
import { openAIModelInfo, UNKNOWN_MODEL_CONTEXT_WINDOW } from "./models.js";

/** Options of {@link OpenAI}. */
export interface OpenAIOptions extends OpenAIClientOptions {
  /** Default `"gpt-4o-mini"`. */
  model?: string;
  temperature?: number;
  /** Most tokens per answer (sent as `max_tokens`, or `max_completion_tokens` for reasoning models). */
  maxTokens?: number;
  /** Passed through into every request body (e.g. `{ top_p: 0.9, seed: 1 }`). */
  extraParams?: Record<string, unknown>;
  /** Override the known (or, for unknown models, 4096) context window. */
  contextWindow?: number;
  /** Chat completions (`true`) or the legacy completions endpoint (`false`). Default: from the model name. */
  isChatModel?: boolean;
  /** Ask for token usage on streams (`stream_options.include_usage`, default `true`). */
  streamUsage?: boolean;
}

/**
 * OpenAI's chat (and legacy completion) models through the official `openai` SDK, and every OpenAI-compatible
 * server through `baseURL`. Streams one delta per SSE chunk; `streamComplete` resolves once the server has
 * answered with response headers. Errors are typed (`AuthenticationError`, `RateLimitError`...) and never
 * contain the key; retries (honouring `Retry-After`) happen only before the first token.
 *
 * @example
 * ```ts
 * Settings.llm = new OpenAI({ model: "gpt-4o-mini" });
 * // a local server, no key needed:
 * Settings.llm = new OpenAI({ model: "llama3.2", baseURL: "http://localhost:11434/v1" });
 * ```
 */
export class OpenAI extends BaseLLM {
  readonly model: string;
  readonly metadata: LLMMetadata;
  private readonly conn: ResolvedClient;
  private readonly options: OpenAIOptions;
  private readonly reasoning: boolean;

  constructor(options: OpenAIOptions = {}) {
    super();
    this.options = options;
    this.model = options.model ?? "gpt-4o-mini";
    if (typeof this.model !== "string" || this.model.trim() === "") {
      throw new InvalidArgumentError("model", 'expected a model name such as "gpt-4o-mini".');
    }
    for (const key of ["temperature", "maxTokens", "contextWindow"] as const) {
      const v = options[key];
      if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v < 0)) {
        throw new InvalidArgumentError(key, `expected a number >= 0, got ${String(v)}.`);
      }
    }
    this.conn = resolveClient(options);
    const info = openAIModelInfo(this.model);
    this.reasoning = info?.reasoning ?? false;
    this.metadata = {
      model: this.model,
      contextWindow: options.contextWindow ?? info?.contextWindow ?? UNKNOWN_MODEL_CONTEXT_WINDOW,
      numOutput: options.maxTokens ?? 1024,
      isChatModel: options.isChatModel ?? info?.isChatModel ?? true,
    };
  }

  /** The SDK client in use. */
  get client(): OpenAIClient {
    return this.conn.client;
  }

  protected override async doChat(messages: ChatMessage[], options: LLMCallOptions): Promise<ChatResponse> {
    const ctx = this.context("chat");
    try {
      const res = await this.conn.client.chat.completions.create(
        { ...this.chatBody(messages), stream: false },
        { signal: options.signal },
      );
      const choice = Array.isArray(res?.choices) ? res.choices[0] : undefined;
      if (!choice?.message) throw this.malformed(ctx, "a chat completion without choices");
      const reasoning = wireReasoning(choice.message as WireReasoningFields, "message");
      return {
        message: { role: "assistant", content: wireText(choice.message.content, "message.content") },
        ...(reasoning !== "" ? { reasoning } : {}),
        usage: toUsage(res.usage),
        finishReason: choice.finish_reason ?? undefined,
        raw: res,
      };
    } catch (error) {
      throw toStreamdexError(error, this.conn, ctx);
    }
  }

  protected override async doStreamChat(
    messages: ChatMessage[],
    options: LLMCallOptions,
  ): Promise<LLMStream> {
    if (!this.metadata.isChatModel) return this.doStreamComplete(messagesToPrompt(messages), options);
    const ctx = this.context("chat stream");
    try {
      const stream = await this.conn.client.chat.completions.create(
        {
          ...this.chatBody(messages),
          stream: true,
          ...(this.options.streamUsage === false ? {} : { stream_options: { include_usage: true } }),
        },
        { signal: options.signal },
      );
      return this.adapt(stream, stream.controller, ctx, chatChunk);
    } catch (error) {
      throw toStreamdexError(error, this.conn, ctx);
    }
  }

  protected override async doComplete(prompt: string, options: LLMCallOptions): Promise<CompletionResponse> {
    if (this.metadata.isChatModel) {
      const res = await this.doChat([{ role: "user", content: prompt }], options);
      return {
        text: res.message.content,
        reasoning: res.reasoning,
        usage: res.usage,
        finishReason: res.finishReason,
        raw: res.raw,
      };
    }
    const ctx = this.context("completion");
    try {
      const res = await this.conn.client.completions.create(
        { ...this.completionBody(prompt), stream: false },
        { signal: options.signal },
      );
      const choice = Array.isArray(res?.choices) ? res.choices[0] : undefined;
      if (!choice) throw this.malformed(ctx, "a completion without choices");
      return {
        text: choice.text ?? "",
        usage: toUsage(res.usage),
        finishReason: choice.finish_reason ?? undefined,
        raw: res,
      };
    } catch (error) {
      throw toStreamdexError(error, this.conn, ctx);
    }
  }

  protected override async doStreamComplete(prompt: string, options: LLMCallOptions): Promise<LLMStream> {
    if (this.metadata.isChatModel) return this.doStreamChat([{ role: "user", content: prompt }], options);
    const ctx = this.context("completion stream");
    try {
      const stream = await this.conn.client.completions.create(
        {
          ...this.completionBody(prompt),
          stream: true,
          ...(this.options.streamUsage === false ? {} : { stream_options: { include_usage: true } }),
        },
        { signal: options.signal },
      );
      return this.adapt(stream, stream.controller, ctx, completionChunk);
    } catch (error) {
      throw toStreamdexError(error, this.conn, ctx);
    }
  }

  private adapt<T>(
    source: AsyncIterable<T>,
    controller: AbortController,
    ctx: RequestContext,
    map: (event: T) => LLMStreamPart | readonly LLMStreamPart[],
  ): LLMStream {
    return providerStream({
      source,
      map,
      mapError: (error) => toStreamdexError(error, this.conn, ctx),
      idleTimeoutMs: this.conn.timeout,
      abort: () => controller.abort(),
      timeoutError: () =>
        new ProviderTimeoutError(
          `${ctx.what} from ${this.conn.baseURL} sent no chunk for ${this.conn.timeout} ms. Raise \`timeout\` or ` +
            "check the server.",
          { provider: "openai" },
        ),
      malformedEvent: (error) =>
        this.malformed(
          ctx,
          `a stream event it could not read (${error instanceof Error ? error.message : error})`,
        ),
      // The SDK ends a stream whose request was aborted as if it had finished: that end is the abort, not a cut.
      truncatedError: () =>
        controller.signal.aborted
          ? new AbortError("The OpenAI request was aborted.", { cause: undefined })
          : this.malformed(
              ctx,
              "a stream that ended before the model finished (no finish_reason, no [DONE])",
            ),
    });
  }

  private chatBody(messages: ChatMessage[]) {
    return {
      ...this.common(),
      model: this.model,
      messages: messages.map((m): ChatCompletionMessageParam => ({ role: m.role, content: m.content })),
    };
  }

  private completionBody(prompt: string) {
    return { ...this.common(), model: this.model, prompt };
  }

  private common(): Record<string, unknown> {
    const { temperature, maxTokens, extraParams } = this.options;
    return {
      ...(temperature !== undefined && !this.reasoning ? { temperature } : {}),
      ...(maxTokens !== undefined
        ? { [this.reasoning ? "max_completion_tokens" : "max_tokens"]: maxTokens }
        : {}),
      ...extraParams,
    };
  }

  private context(what: string): RequestContext {
    return { what: `OpenAI ${what} (${this.model})`, model: this.model };
  }

  private malformed(ctx: RequestContext, what: string): MalformedResponseError {
    return new MalformedResponseError(`${ctx.what} got ${what} from ${this.conn.baseURL}.`, {
      provider: "openai",
    });
  }
}

/**
 * One chat chunk to its parts: its reasoning (a `reasoning-delta`, first), its content (a `text-delta`), and on
 * the last chunks a `finish` with the usage. A field of the wrong type throws (the request is then aborted and a
 * `MalformedResponseError` thrown).
 */
function chatChunk(event: ChatCompletionChunk): LLMStreamPart | readonly LLMStreamPart[] {
  const choice = event.choices?.[0];
  const delta = choice?.delta;
  const parts = textAndFinish(
    wireText(delta?.content, "delta.content"),
    toUsage(event.usage),
    choice?.finish_reason ?? undefined,
  );
  return withReasoning(wireReasoning(delta as WireReasoningFields | undefined, "delta"), parts);
}

function completionChunk(event: Completion): LLMStreamPart | readonly LLMStreamPart[] {
  const choice = event.choices?.[0];
  return textAndFinish(
    wireText(choice?.text, "text"),
    toUsage(event.usage),
    choice?.finish_reason ?? undefined,
  );
}

function toUsage(
  usage:
    | {
        prompt_tokens?: number;
        completion_tokens?: number;
        total_tokens?: number;
        completion_tokens_details?: { reasoning_tokens?: number } | null;
      }
    | null
    | undefined,
): TokenUsage | undefined {
  if (!usage) return undefined;
  const promptTokens = usage.prompt_tokens ?? 0;
  const completionTokens = usage.completion_tokens ?? 0;
  const reasoningTokens = usage.completion_tokens_details?.reasoning_tokens;
  return {
    promptTokens,
    completionTokens,
    totalTokens: usage.total_tokens ?? promptTokens + completionTokens,
    ...(typeof reasoningTokens === "number" && reasoningTokens > 0 ? { reasoningTokens } : {}),
  };
}
