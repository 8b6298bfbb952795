import type { InferenceClient } from "@huggingface/inference";
import { MalformedResponseError, ProviderTimeoutError } from "../../errors/index.js";
import { BaseLLM, messagesToPrompt } from "../../llms/base-llm.js";
import { wireReasoning } from "../../llms/stream-part.js";
import type {
  ChatMessage,
  ChatResponse,
  CompletionResponse,
  LLMCallOptions,
  LLMMetadata,
  LLMStream,
  LLMStreamPart,
} from "../../llms/types.js";
import { providerStream } from "../../streaming/provider-stream.js";
import { type ErrorContext, lacksMessagesApi, toStreamdexError } from "./inference-api-errors.js";
import { type HFInference, loadInferenceModule } from "./inference-api-module.js";
import {
  type HuggingFaceInferenceAPIOptions,
  type ResolvedOptions,
  resolveOptions,
} from "./inference-api-options.js";
import {
  type OpenedStream,
  openStream,
  type TransportOptions,
  withRetries,
} from "./inference-api-transport.js";
import { generate, generateStream, prepareTGIRequest } from "./tgi-generate.js";
import {
  type ChatCompletionBody,
  type ChatStreamEvent,
  chatStreamChunk,
  finishReasonOf,
  generateParameters,
  generateStreamChunk,
  usageOf,
  wireUsage,
} from "./tgi-wire.js";

type RequestContext = Omit<ErrorContext, "retries" | "timedOut">;
/** The library's chat request (`ChatCompletionInput` of `@huggingface/tasks`). */
type ChatArgs = Parameters<InferenceClient["chatCompletion"]>[0];

/**
 * Models served over HTTP by Hugging Face: a Text Generation Inference server or an Inference Endpoint
 * (`endpointUrl`), or a Hub model through the Hugging Face router (`model` and a token). Built on
 * `@huggingface/inference` (an optional peer dependency, loaded on first use).
 *
 * Chat goes to the Messages API (`/v1/chat/completions`); raw prompts (`useChat: false`, base models) to TGI's
 * `/generate_stream`. Streams give one delta per server event (special tokens such as EOS skipped), with the finish
 * reason and token usage of the last event. `streamComplete` resolves once the server has accepted the request
 * (response headers), before the first token. Errors are typed (`AuthenticationError`, `RateLimitError`...) and
 * never contain the token; 429 and 503 (overloaded, model loading) are retried before the first token only,
 * honouring `Retry-After`. `break`, `cancel()` or an aborted signal close the HTTP connection.
 *
 * @example
 * ```ts
 * Settings.llm = new HuggingFaceInferenceAPI({ endpointUrl: "http://localhost:8080" }); // a local TGI
 * Settings.llm = new HuggingFaceInferenceAPI({ model: "meta-llama/Llama-3.1-8B-Instruct" }); // HF_TOKEN, router
 * ```
 */
export class HuggingFaceInferenceAPI extends BaseLLM {
  readonly metadata: LLMMetadata;
  /** The TGI server or Inference Endpoint, if any (else the Hugging Face router). */
  readonly endpointUrl: string | undefined;
  private readonly opts: ResolvedOptions;
  /** undefined: chat, falling back to text generation if the server has no Messages API for this model. */
  private useChat: boolean | undefined;
  private client: InferenceClient | undefined;

  constructor(options: HuggingFaceInferenceAPIOptions) {
    super();
    this.opts = resolveOptions(options ?? {});
    this.endpointUrl = this.opts.endpointUrl;
    this.useChat = this.opts.useChat;
    this.metadata = {
      model: this.opts.model,
      contextWindow: this.opts.contextWindow,
      numOutput: this.opts.maxNewTokens,
      isChatModel: this.useChat !== false,
    };
  }

  protected override doStreamComplete(prompt: string, options: LLMCallOptions): Promise<LLMStream> {
    return this.either(
      () => this.streamMessages([{ role: "user", content: prompt }], options),
      () => this.streamText(prompt, options),
    );
  }

  protected override doStreamChat(messages: ChatMessage[], options: LLMCallOptions): Promise<LLMStream> {
    return this.either(
      () => this.streamMessages(messages, options),
      () => this.streamText(messagesToPrompt(messages), options),
    );
  }

  protected override doComplete(prompt: string, options: LLMCallOptions): Promise<CompletionResponse> {
    return this.either(
      async (): Promise<CompletionResponse> => {
        const res = await this.chatOnce([{ role: "user", content: prompt }], options);
        return {
          text: res.message.content,
          reasoning: res.reasoning,
          usage: res.usage,
          finishReason: res.finishReason,
          raw: res.raw,
        };
      },
      () => this.generateOnce(prompt, options),
    );
  }

  protected override doChat(messages: ChatMessage[], options: LLMCallOptions): Promise<ChatResponse> {
    return this.either(
      () => this.chatOnce(messages, options),
      async () => {
        const res = await this.generateOnce(messagesToPrompt(messages), options);
        const message: ChatMessage = { role: "assistant", content: res.text };
        return { message, usage: res.usage, finishReason: res.finishReason, raw: res.raw };
      },
    );
  }

  /** Chat or text generation, by `useChat`; by default chat, then text generation if chat is not served. */
  private async either<T>(chat: () => Promise<T>, text: () => Promise<T>): Promise<T> {
    if (this.useChat === false) return text();
    if (this.useChat === true || this.endpointUrl === undefined) return chat();
    try {
      const result = await chat();
      this.useChat = true;
      return result;
    } catch (error) {
      if (!lacksMessagesApi(error)) throw error;
      this.useChat = false;
      this.metadata.isChatModel = false;
      return text();
    }
  }

  private async streamMessages(messages: ChatMessage[], options: LLMCallOptions): Promise<LLMStream> {
    const client = this.clientOf(await loadInferenceModule());
    const ctx = this.context("chat stream");
    const args = { ...this.chatArgs(messages), stream_options: { include_usage: true } };
    const opened = await openStream(this.transport(ctx, options), (ex) =>
      client.chatCompletionStream(args, { fetch: ex.fetch, signal: ex.signal, retry_on_error: false }),
    );
    return this.adapt(opened, ctx, (event: ChatStreamEvent) => chatStreamChunk(event));
  }

  private async streamText(prompt: string, options: LLMCallOptions): Promise<LLMStream> {
    const hf = await loadInferenceModule();
    const ctx = this.context("text generation stream");
    const req = await prepareTGIRequest(hf, this.endpointUrl as string, "/generate_stream", this.opts.token, {
      inputs: prompt,
      parameters: this.parameters(),
    });
    const opened = await openStream(this.transport(ctx, options), (ex) => generateStream(req, ex));
    return this.adapt(opened, ctx, generateStreamChunk);
  }

  private async chatOnce(messages: ChatMessage[], options: LLMCallOptions): Promise<ChatResponse> {
    const client = this.clientOf(await loadInferenceModule());
    const ctx = this.context("chat");
    const args = this.chatArgs(messages);
    const { value, attempt } = await withRetries(this.transport(ctx, options), (ex) =>
      client.chatCompletion(args, { fetch: ex.fetch, signal: ex.signal, retry_on_error: false }),
    );
    attempt.end();
    const body = value as ChatCompletionBody;
    const choice = Array.isArray(body?.choices) ? body.choices[0] : undefined;
    if (!choice?.message) throw this.malformed(ctx, "a chat completion without choices");
    let reasoning: string;
    try {
      reasoning = wireReasoning(choice.message, "message");
    } catch (error) {
      throw this.malformed(ctx, `a chat completion with ${(error as Error).message}`);
    }
    return {
      message: { role: "assistant", content: choice.message.content ?? "" },
      ...(reasoning !== "" ? { reasoning } : {}),
      usage: wireUsage(body.usage),
      finishReason: choice.finish_reason ?? undefined,
      raw: value,
    };
  }

  private async generateOnce(prompt: string, options: LLMCallOptions): Promise<CompletionResponse> {
    const hf = await loadInferenceModule();
    const ctx = this.context("text generation");
    const req = await prepareTGIRequest(hf, this.endpointUrl as string, "/generate", this.opts.token, {
      inputs: prompt,
      parameters: this.parameters(),
    });
    const { value, attempt } = await withRetries(this.transport(ctx, options), (ex) => generate(req, ex));
    attempt.end();
    const details = value.body.details ?? undefined;
    return {
      text: value.body.generated_text ?? "",
      usage: usageOf(value.promptTokens, details?.generated_tokens),
      finishReason: details?.finish_reason ? finishReasonOf(details.finish_reason) : undefined,
      raw: value.body,
    };
  }

  private adapt<T>(
    opened: OpenedStream<T>,
    ctx: RequestContext,
    map: (event: T) => LLMStreamPart | readonly LLMStreamPart[],
  ): LLMStream {
    const { timeout } = this.opts;
    return providerStream({
      source: opened.source,
      map,
      // Mid-stream failures are never retried: they are reported as they are.
      mapError: (error) => toStreamdexError(error, { ...ctx, retries: 0 }),
      idleTimeoutMs: timeout,
      abort: opened.abort,
      timeoutError: () =>
        new ProviderTimeoutError(
          `${ctx.what} from ${ctx.where} sent no event for ${timeout} ms. Raise \`timeout\` or check the server.`,
          { provider: "huggingface" },
        ),
      malformedEvent: (error) =>
        this.malformed(
          ctx,
          `a stream event it could not read (${error instanceof Error ? error.message : error})`,
        ),
      truncatedError: () =>
        this.malformed(ctx, "a stream that ended before the model finished (no final event)"),
    });
  }

  private clientOf(hf: HFInference): InferenceClient {
    const { token, endpointUrl } = this.opts;
    this.client ??= new hf.InferenceClient(token ?? "", endpointUrl ? { endpointUrl } : {});
    return this.client;
  }

  private chatArgs(messages: ChatMessage[]): ChatArgs {
    const { requestModel, maxNewTokens, temperature, topP, stop, extraParams } = this.opts;
    return {
      model: requestModel,
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      max_tokens: maxNewTokens,
      ...(temperature !== undefined ? { temperature } : {}),
      ...(topP !== undefined ? { top_p: topP } : {}),
      ...(stop.length > 0 ? { stop } : {}),
      ...extraParams,
    } as ChatArgs;
  }

  private parameters(): Record<string, unknown> {
    const { maxNewTokens, temperature, topP, stop, extraParams } = this.opts;
    return generateParameters({ maxNewTokens, temperature, topP, stop, extraParams });
  }

  private transport(context: RequestContext, options: LLMCallOptions): TransportOptions {
    const { fetch, timeout, maxRetries } = this.opts;
    return { fetch, timeout, maxRetries, signal: options.signal, context };
  }

  private context(what: string): RequestContext {
    const { model, where, token, timeout, endpointUrl } = this.opts;
    const named = endpointUrl === undefined || model !== endpointUrl ? model : undefined;
    return {
      what: `Hugging Face ${what}${named ? ` (${named})` : ""}`,
      model: named,
      where,
      token,
      timeout,
    };
  }

  private malformed(ctx: RequestContext, what: string): MalformedResponseError {
    return new MalformedResponseError(`${ctx.what} got ${what} from ${ctx.where}.`, {
      provider: "huggingface",
    });
  }
}
