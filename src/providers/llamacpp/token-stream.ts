import type { LlamaContextSequence, LlamaModel, SequenceEvaluateOptions, Token } from "node-llama-cpp";
import { ProviderError } from "../../errors/index.js";
import { messageOf } from "../../errors/message-of.js";
import type { ThinkSplitterOptions } from "../../llms/think-splitter.js";
import { pushGenerationEnd, ThinkTokens } from "../../llms/think-tokens.js";
import type { LLMStream, LLMStreamPart, TokenUsage } from "../../llms/types.js";
import { ChunkQueue } from "../../streaming/chunk-queue.js";
import { DONE } from "../../streaming/iteration-done.js";
import { anySignal, onAbort } from "../../utils/abort.js";
import { TokenDecoder } from "./token-decoder.js";

/** One generation: where to get a sequence, the prompt, and when to stop. */
export interface GenerationSpec {
  model: LlamaModel;
  /** Waits for a free sequence of the context (FIFO); rejects when `signal` aborts. */
  acquire(signal: AbortSignal): Promise<LlamaContextSequence>;
  /** Gives the sequence back; called once, after llama.cpp stopped. */
  release(sequence: LlamaContextSequence): void;
  /** Called once when the generation is over (sequence released, or never obtained). */
  onEnd(): void;
  /** The whole prompt, BOS included. */
  tokens: Token[];
  /** Tokens that end generation (besides llama.cpp's end-of-generation tokens). */
  stopTokens: ReadonlySet<Token>;
  /** Texts that end generation (chat templates' end markers spelt as text). */
  stopTexts: readonly string[];
  /** Most tokens to generate (already capped to what the context can hold). */
  maxTokens: number;
  sampling: SequenceEvaluateOptions;
  /** Chunks generated ahead of the consumer at most (0: generate only while the consumer waits). */
  readAhead: number;
  signal: AbortSignal | undefined;
  onToken: ((token: Token) => void) | undefined;
  /** Split a `<think>` block that opens the answer into reasoning parts at these tags; `undefined`: no split. */
  think: ThinkSplitterOptions | undefined;
}

/**
 * A generation as a pull-based {@link LLMStream}. llama.cpp's `LlamaContextSequence.evaluate()` is itself a
 * pull-based generator (one token per `next()`), so backpressure is exact: a producer loop pulls tokens while
 * fewer than `readAhead` chunks wait unread (or while the consumer waits) and otherwise stops pulling, which
 * pauses llama.cpp. `return()` (a `break`) or an aborted signal stop the loop: the token being computed at that
 * instant finishes, no other starts, and the sequence goes back to its pool.
 *
 * The request is accepted at once and joins the context's queue; the sequence is taken in the background, so
 * `Promise.all([query(a), query(b)])` on a one-sequence context cannot deadlock (b starts when a ends).
 */
export function startGeneration(spec: GenerationSpec): GenerationStream {
  return new TokenStream(spec);
}

/** A running generation: an {@link LLMStream} that can be stopped, and says when llama.cpp is done with it. */
export interface GenerationStream extends LLMStream, AsyncIterator<LLMStreamPart> {
  return(): Promise<IteratorResult<LLMStreamPart>>;
  /** Resolves once llama.cpp has stopped and the sequence is back in its pool. */
  readonly finished: Promise<void>;
}

class TokenStream implements GenerationStream, AsyncIterableIterator<LLMStreamPart> {
  private readonly chunks: ChunkQueue;
  private readonly decoder: TokenDecoder;
  private readonly think: ThinkTokens | undefined;
  private readonly push = (part: LLMStreamPart) => this.chunks.push(part);
  private readonly halt = new AbortController();
  /** Detaches the stop on the caller's abort (once generation has ended). */
  private readonly offAbort: () => void;
  readonly finished: Promise<void>;

  constructor(private readonly spec: GenerationSpec) {
    this.chunks = new ChunkQueue(spec.readAhead, spec.signal);
    this.decoder = new TokenDecoder(spec.model, spec.stopTexts);
    this.think = spec.think ? new ThinkTokens(spec.think) : undefined;
    this.offAbort = onAbort(spec.signal, () => this.stop());
    this.finished = this.produce();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<LLMStreamPart>> {
    return this.chunks.next();
  }

  async return(): Promise<IteratorResult<LLMStreamPart>> {
    this.stop();
    this.chunks.clear();
    return DONE;
  }

  private get stopped(): boolean {
    return this.chunks.stopped;
  }

  private stop(): void {
    this.halt.abort();
    this.chunks.stop();
  }

  private async produce(): Promise<void> {
    const { spec } = this;
    let sequence: LlamaContextSequence | undefined;
    let source: ReturnType<LlamaContextSequence["evaluate"]> | undefined;
    let generated = 0;
    let finishReason = "length";
    try {
      sequence = await spec.acquire(anySignal(spec.signal, this.halt.signal)!);
      if (this.stopped) return;
      // Keep the KV cache of the prefix this sequence already holds; at least one token is always evaluated.
      await sequence.adaptStateToTokens(spec.tokens.slice(0, -1), false);
      source = sequence.evaluate(spec.tokens.slice(sequence.nextTokenIndex), spec.sampling);
      while (!this.stopped) {
        if (this.chunks.full()) {
          await this.chunks.waitForRoom();
          continue;
        }
        const step = await source.next();
        if (this.stopped) break;
        if (step.done) {
          finishReason = "stop";
          break;
        }
        generated++;
        spec.onToken?.(step.value);
        if (spec.stopTokens.has(step.value)) {
          finishReason = "stop";
          break;
        }
        const { text, stopped } = this.decoder.push(step.value);
        if (this.think) this.think.token(text, { token: step.value }, this.push);
        else if (text !== "") this.chunks.push({ type: "text-delta", text, raw: { token: step.value } });
        if (stopped) {
          finishReason = "stop";
          break;
        }
        if (generated >= spec.maxTokens) break;
      }
      if (!this.stopped) {
        const usage: TokenUsage = {
          promptTokens: spec.tokens.length,
          completionTokens: generated,
          totalTokens: spec.tokens.length + generated,
        };
        pushGenerationEnd(this.push, this.think, this.decoder.flush(), usage, finishReason);
      }
    } catch (error) {
      if (!this.stopped) {
        this.chunks.fail(
          new ProviderError(`llama.cpp failed while generating: ${messageOf(error)}`, {
            provider: "llamacpp",
            cause: error,
          }),
        );
      }
    } finally {
      this.offAbort();
      await source?.return().catch(() => undefined);
      if (sequence) spec.release(sequence);
      spec.onEnd();
      this.chunks.end();
    }
  }
}
