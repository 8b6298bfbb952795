import type { LlamaContextSequence, LlamaModel, SequenceEvaluateOptions, Token } from "node-llama-cpp";
import { ProviderError } from "../../errors/index.js";
import type { LLMChunk, LLMStream } from "../../llms/types.js";
import { abortReason, anySignal } from "../../utils/abort.js";
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
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

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
export interface GenerationStream extends LLMStream, AsyncIterator<LLMChunk> {
  return(): Promise<IteratorResult<LLMChunk>>;
  /** Resolves once llama.cpp has stopped and the sequence is back in its pool. */
  readonly finished: Promise<void>;
}

class TokenStream implements GenerationStream, AsyncIterableIterator<LLMChunk> {
  private readonly queue: LLMChunk[] = [];
  private readonly decoder: TokenDecoder;
  private readonly halt = new AbortController();
  private error: Error | undefined;
  /** The producer loop has ended (the final chunk or the error is queued). */
  private ended = false;
  /** Stop requested: abort, return(), or the final chunk was handed out. */
  private stopped = false;
  private consumerWaiting = false;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  private readonly onAbort = () => this.stop();
  readonly finished: Promise<void>;

  constructor(private readonly spec: GenerationSpec) {
    this.decoder = new TokenDecoder(spec.model, spec.stopTexts);
    spec.signal?.addEventListener("abort", this.onAbort, { once: true });
    this.finished = this.produce();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<LLMChunk>> {
    for (;;) {
      if (this.spec.signal?.aborted) throw abortReason(this.spec.signal);
      const chunk = this.queue.shift();
      if (chunk) {
        this.wakeProducer?.();
        if (chunk.finishReason !== undefined) this.stopped = true;
        return { done: false, value: chunk };
      }
      if (this.error) throw this.error;
      if (this.ended || this.stopped) return DONE;
      this.consumerWaiting = true;
      this.wakeProducer?.();
      await new Promise<void>((resolve) => {
        this.wakeConsumer = resolve;
      });
      this.consumerWaiting = false;
    }
  }

  async return(): Promise<IteratorResult<LLMChunk>> {
    this.stop();
    this.queue.length = 0;
    return DONE;
  }

  private stop(): void {
    this.stopped = true;
    this.halt.abort();
    this.wakeProducer?.();
    this.wakeConsumer?.();
  }

  private push(chunk: LLMChunk): void {
    this.queue.push(chunk);
    this.wakeConsumer?.();
  }

  /** Whether the producer must wait: the queue is full, or (read-ahead 0) nobody is waiting for a chunk. */
  private full(): boolean {
    const { readAhead } = this.spec;
    return readAhead === 0 ? !this.consumerWaiting || this.queue.length > 0 : this.queue.length >= readAhead;
  }

  private waitForRoom(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wakeProducer = () => {
        this.wakeProducer = undefined;
        resolve();
      };
    });
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
        if (this.full()) {
          await this.waitForRoom();
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
        if (text !== "") this.push({ delta: text, raw: { token: step.value } });
        if (stopped) {
          finishReason = "stop";
          break;
        }
        if (generated >= spec.maxTokens) break;
      }
      if (!this.stopped) {
        const usage = {
          promptTokens: spec.tokens.length,
          completionTokens: generated,
          totalTokens: spec.tokens.length + generated,
        };
        this.push({ delta: this.decoder.flush(), usage, finishReason });
      }
    } catch (error) {
      if (!this.stopped) {
        this.error = new ProviderError(`llama.cpp failed while generating: ${messageOf(error)}`, {
          provider: "llamacpp",
          cause: error,
        });
      }
    } finally {
      this.ended = true;
      spec.signal?.removeEventListener("abort", this.onAbort);
      await source?.return().catch(() => undefined);
      if (sequence) spec.release(sequence);
      spec.onEnd();
      this.wakeConsumer?.();
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
