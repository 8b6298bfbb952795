import { AbortError, InvalidArgumentError } from "../../errors/index.js";
import { LLMCallObserver } from "../../instrumentation/llm-call-observer.js";
import { QueryLifecycle } from "../../instrumentation/query-lifecycle.js";
import type { UsageMeter } from "../../instrumentation/usage-meter.js";
import { assertCanStream, messagesToPrompt } from "../../llms/base-llm.js";
import type { ChatMessage, LLM, LLMStream, TokenUsage } from "../../llms/types.js";
import { ChatMemoryBuffer, MESSAGE_OVERHEAD_TOKENS } from "../../memory/chat-memory-buffer.js";
import type { ChatTurn } from "../../memory/chat-turn.js";
import type { PendingTurn } from "../../memory/pending-turn.js";
import type { NodeWithScore } from "../../schema/node.js";
import { addUsage, Response } from "../../schema/response.js";
import type { QueryClock } from "../../schema/timings.js";
import { Settings } from "../../settings/settings.js";
import { StreamingResponse } from "../../streaming/streaming-response.js";
import { throwIfAborted } from "../../utils/abort.js";
import { defaultTokenizer, type Tokenizer } from "../../utils/tokenizer.js";
import { describe, optionalBoolean, requireNonEmptyString } from "../../utils/validate.js";
import type { ChatEngine, ChatMode, ChatOptions, ChatOutput } from "./types.js";

/** Options every chat engine takes. */
export interface BaseChatEngineOptions<S extends boolean> {
  /** `true`: `chat()` resolves to a `StreamingResponse` (the type says so). Default `false`. */
  streaming?: S;
  /** Default: `Settings.llm`, read when the engine is built. */
  llm?: LLM;
  /** The engine's own conversation. Default: a new `ChatMemoryBuffer` sized from the LLM. */
  memory?: ChatMemoryBuffer;
}

/** What a mode hands the engine for the last step: messages for the LLM, or an answer already started. */
export type ChatFinalStep =
  | { kind: "llm"; messages: ChatMessage[]; sourceNodes: NodeWithScore[] }
  | { kind: "result"; result: StreamingResponse | Response };

/** What a mode works with while answering one message. */
export interface ChatPlanContext {
  message: string;
  memory: ChatMemoryBuffer;
  /** Whether this call streams. */
  streaming: boolean;
  /** Aborts with the caller's signal, and when a newer message supersedes this one. */
  signal: AbortSignal;
  /** Ties instrumentation events together (`queryId`). */
  chatId: string;
  /** The message's clock: a mode records its retrieval time here (`retrieveMs`); condensing counts itself. */
  clock: QueryClock;
  /** The message's usage so far: a mode adds its retrieval's query embedding here; `complete` adds its calls. */
  usage: UsageMeter;
  /** Counts tokens as the memory does. */
  countTokens(text: string): number;
  /** The conversation, newest message last, within the token limit minus `initialTokenCount`. */
  history(initialTokenCount: number): ChatMessage[];
  /** A non-streamed, instrumented, abortable LLM call (e.g. condensing); its usage joins the answer's. */
  complete(prompt: string): Promise<string>;
}

/**
 * The machinery shared by the chat engines: checks, memory turns, abort plumbing, instrumentation, and the last
 * LLM call (streamed or not). A mode implements {@link BaseChatEngine.plan}. The LLM and the tokenizer are fixed
 * when the engine is built (the ones passed, else `Settings`' then).
 */
export abstract class BaseChatEngine<S extends boolean> implements ChatEngine<S> {
  abstract readonly chatMode: ChatMode;
  readonly streaming: S;
  readonly memory: ChatMemoryBuffer;
  /** The LLM that makes this engine's calls: the one passed, else `Settings.llm` when the engine was built. */
  readonly llm: LLM;
  /** `Settings.tokenizer` when the engine was built (undefined: the default cl100k), for an LLM without its own. */
  private readonly tokenizer: Tokenizer | undefined;

  constructor(options: BaseChatEngineOptions<S>) {
    if (typeof options !== "object" || options === null) {
      throw new InvalidArgumentError("options", `expected an object, got ${describe(options)}.`);
    }
    this.streaming = optionalBoolean("streaming", options.streaming, false) as S;
    if (options.llm !== undefined && !isLLM(options.llm)) {
      throw new InvalidArgumentError("llm", "expected an LLM (an object with chat/streamChat and metadata).");
    }
    this.memory = checkMemory("memory", options.memory) ?? new ChatMemoryBuffer();
    // Settings are read once, here: changing them later does not change this engine.
    this.llm = options.llm ?? Settings.llm;
    this.tokenizer = Settings.tokenizerOverride;
  }

  chat(message: string, options: ChatOptions = {}): Promise<ChatOutput<S>> {
    return this.run(message, options, this.streaming) as Promise<ChatOutput<S>>;
  }

  streamChat(message: string, options: ChatOptions = {}): Promise<StreamingResponse> {
    return this.run(message, options, true) as Promise<StreamingResponse>;
  }

  reset(): void {
    this.memory.reset();
  }

  get chatHistory(): ChatTurn[] {
    return this.memory.getAll();
  }

  /**
   * Throws now what a call would throw before any work: an LLM that cannot stream. Run at construction for a
   * streaming engine, and per call, since `streamChat()` streams on an engine built without `streaming`.
   */
  protected assertReady(streaming: boolean): void {
    if (streaming) assertCanStream(this.llm);
  }

  /** At construction: a streaming engine over an LLM that cannot stream fails now. */
  protected checkStreamingAtConstruction(): void {
    if (this.streaming) this.assertReady(true);
  }

  /** Retrieves, condenses... and returns the last step. */
  protected abstract plan(ctx: ChatPlanContext): Promise<ChatFinalStep>;

  private async run(message: string, options: ChatOptions, streaming: boolean) {
    requireNonEmptyString("message", message, 'Pass the message as a non-empty string: engine.chat("…").');
    if (typeof options !== "object" || options === null) {
      throw new InvalidArgumentError("options", `expected { signal?, memory? }, got ${describe(options)}.`);
    }
    const memory = checkMemory("options.memory", options.memory) ?? this.memory;
    this.assertReady(streaming);
    const lifecycle = QueryLifecycle.start({ query: message, streaming, signal: options.signal });
    const { controller, clock, queryId: chatId, usage } = lifecycle;
    const combined = lifecycle.signal;
    const turn = memory.startTurn(message);
    turn.attach({
      partialText: () => "",
      stop: () =>
        controller.abort(new AbortError("A newer message in this conversation interrupted the answer.")),
    });
    return lifecycle.run(async () => {
      try {
        const llm = this.llm;
        const tokenizer =
          memory.tokenizer ?? (await llm.getTokenizer?.()) ?? this.tokenizer ?? defaultTokenizer();
        const tokenLimit = Math.floor(llm.metadata.contextWindow * 0.75);
        const events = Settings.events;
        const ctx: ChatPlanContext = {
          message,
          memory,
          streaming,
          signal: combined,
          chatId,
          clock,
          usage,
          countTokens: (text) => tokenizer.countTokens(text),
          history: (initialTokenCount) => {
            throwIfAborted(combined);
            return memory.get({ initialTokenCount, tokenLimit, tokenizer });
          },
          complete: async (prompt) => {
            const observer = new LLMCallObserver(events, chatId, prompt, false);
            const started = performance.now();
            try {
              const res = await llm.complete(prompt, { signal: combined });
              // A provider that reports no usage: counted with the model's tokenizer (flagged estimated).
              usage.addCall(
                { prompt, text: res.text, reasoning: res.reasoning, usage: res.usage },
                tokenizer,
              );
              clock.priorCallsMs = (clock.priorCallsMs ?? 0) + (performance.now() - started);
              observer.onEnd(res.text, res.usage, res.finishReason);
              return res.text;
            } catch (error) {
              observer.onError(error, "");
              throw error;
            }
          },
        };
        const step = await this.plan(ctx);
        throwIfAborted(combined);
        const result =
          step.kind === "result"
            ? step.result
            : await finalCall(llm, step, {
                streaming,
                chatId,
                controller,
                clock,
                signal: combined,
                usage: usage.total,
              });
        record(result, turn);
        return result;
      } catch (error) {
        turn.interrupt("");
        throw error;
      }
    });
  }
}

/** The last LLM call: streamed (resolving once the provider accepted it) or complete. */
async function finalCall(
  llm: LLM,
  step: Extract<ChatFinalStep, { kind: "llm" }>,
  call: {
    streaming: boolean;
    chatId: string;
    controller: AbortController;
    clock: QueryClock;
    signal: AbortSignal;
    usage: TokenUsage | undefined;
  },
): Promise<StreamingResponse | Response> {
  const events = Settings.events;
  const prompt = events.has("llm-start") ? messagesToPrompt(step.messages) : "";
  const observer = new LLMCallObserver(events, call.chatId, prompt, call.streaming);
  try {
    if (call.streaming) {
      const stream: LLMStream = await llm.streamChat(step.messages, { signal: call.signal });
      return new StreamingResponse({
        stream,
        sourceNodes: step.sourceNodes,
        controller: call.controller,
        signal: call.signal,
        priorUsage: call.usage,
        hooks: observer,
        clock: call.clock,
      });
    }
    const res = await llm.chat(step.messages, { signal: call.signal });
    observer.onEnd(res.message.content, res.usage, res.finishReason);
    return new Response({
      response: res.message.content,
      sourceNodes: step.sourceNodes,
      usage: addUsage(call.usage, res.usage),
      timings: call.clock.timings(performance.now(), undefined, undefined, 0),
    });
  } catch (error) {
    observer.onError(error, "");
    throw error;
  }
}

/**
 * Writes the assistant turn when the answer ends, however it ends (before the query's own `query-end`, which the
 * lifecycle emits after this).
 */
function record(result: StreamingResponse | Response, turn: PendingTurn): void {
  if (!(result instanceof StreamingResponse)) {
    turn.complete(result.response);
    return;
  }
  turn.attach({ partialText: () => result.responseTxt, stop: () => void result.cancel() });
  result.observe({
    onEnd: (text) => turn.complete(text),
    onError: (_error, text) => turn.interrupt(text),
    onCancel: (text) => turn.interrupt(text),
  });
}

/** Tokens of a system message, as {@link ChatMemoryBuffer.get} counts a message. */
export function systemTokens(ctx: ChatPlanContext, content: string): number {
  return content === "" ? 0 : ctx.countTokens(content) + MESSAGE_OVERHEAD_TOKENS;
}

/** `[system, ...history]`, leaving out an empty system message. */
export function withSystem(system: string, history: ChatMessage[]): ChatMessage[] {
  return system === "" ? history : [{ role: "system", content: system }, ...history];
}

function checkMemory(name: string, memory: unknown): ChatMemoryBuffer | undefined {
  if (memory === undefined || memory instanceof ChatMemoryBuffer) return memory;
  throw new InvalidArgumentError(name, `expected a ChatMemoryBuffer, got ${describe(memory)}.`);
}

function isLLM(value: unknown): value is LLM {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as LLM).chat === "function" &&
    typeof (value as LLM).streamChat === "function"
  );
}
