import type { LLMStreamPart } from "../llms/types.js";
import { abortReason } from "../utils/abort.js";
import { DONE } from "./iteration-done.js";

/**
 * The hand-off between a local model's generation loop (the producer) and a reader (the consumer): a queue of at
 * most `readAhead` chunks. The producer waits for room before computing the next token, so generation runs at most
 * `readAhead` tokens ahead of the reader, and with 0 only while the reader waits. Used by the in-process providers
 * (llama.cpp, transformers.js), whose loops push tokens rather than being pulled.
 */
export class ChunkQueue {
  private readonly queue: LLMStreamPart[] = [];
  private error: Error | undefined;
  private ended = false;
  private halted = false;
  private consumerWaiting = false;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  constructor(
    private readonly readAhead: number,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Whether the stream was stopped (abort, `return()`, or the final chunk was handed out). */
  get stopped(): boolean {
    return this.halted;
  }

  /** The consumer's `next()`: the next chunk, waiting for the producer if needed; rethrows its error. */
  async next(): Promise<IteratorResult<LLMStreamPart>> {
    for (;;) {
      if (this.signal?.aborted) throw abortReason(this.signal);
      const chunk = this.queue.shift();
      if (chunk) {
        this.wakeProducer?.();
        if (chunk.type === "finish" && chunk.finishReason !== undefined) this.halted = true;
        return { done: false, value: chunk };
      }
      if (this.error) throw this.error;
      if (this.ended || this.halted) return DONE;
      this.consumerWaiting = true;
      this.wakeProducer?.();
      await new Promise<void>((resolve) => {
        this.wakeConsumer = resolve;
      });
      this.consumerWaiting = false;
    }
  }

  /** Producer: hands a chunk to the reader. */
  push(chunk: LLMStreamPart): void {
    this.queue.push(chunk);
    this.wakeConsumer?.();
  }

  /** Producer: whether it must wait before computing the next token. */
  full(): boolean {
    return this.readAhead === 0
      ? !this.consumerWaiting || this.queue.length > 0
      : this.queue.length >= this.readAhead;
  }

  /** Producer: resolves once there is room (or the stream stopped). */
  async waitForRoom(): Promise<void> {
    while (!this.halted && this.full()) {
      await new Promise<void>((resolve) => {
        this.wakeProducer = () => {
          this.wakeProducer = undefined;
          resolve();
        };
      });
    }
  }

  /** Producer: generation failed; the reader gets `error` after the chunks already queued. */
  fail(error: Error): void {
    this.error = error;
    this.wakeConsumer?.();
  }

  /** Producer: generation is over (normally or not); the reader sees the end after the queued chunks. */
  end(): void {
    this.ended = true;
    this.wakeConsumer?.();
  }

  /** Stops the stream from either side: the producer stops at its next check, a waiting reader ends. */
  stop(): void {
    this.halted = true;
    this.wakeProducer?.();
    this.wakeConsumer?.();
  }

  /** Drops chunks nobody will read (after `return()`). */
  clear(): void {
    this.queue.length = 0;
  }
}
