import type { LlamaContext, LlamaContextSequence } from "node-llama-cpp";
import { abortReason, onAbort } from "../../utils/abort.js";

interface Waiter {
  resolve(sequence: LlamaContextSequence): void;
  reject(error: Error): void;
  /** Stops listening to the caller's signal. */
  offAbort: () => void;
}

/**
 * The sequences of one llama.cpp context, lent to one generation at a time. When all are busy, callers wait in
 * FIFO order (an aborted signal takes a waiter out of the line at once), so concurrent queries queue instead of
 * failing with "no sequences left". A returned sequence keeps its KV cache: the next prompt that shares a prefix
 * with it (the same system prompt, say) skips re-evaluating that prefix.
 */
export class SequencePool {
  private readonly free: LlamaContextSequence[] = [];
  private readonly waiters: Waiter[] = [];
  private created = 0;
  private lent = 0;

  constructor(readonly context: LlamaContext) {}

  /** Sequences currently generating. */
  get busy(): number {
    return this.lent;
  }

  /** Callers waiting for a sequence. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Lends a sequence: a free one, a new one while the context has some left, else the next one released. */
  acquire(signal?: AbortSignal): Promise<LlamaContextSequence> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const ready = this.free.pop() ?? this.create();
    if (ready) {
      this.lent++;
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, offAbort: () => undefined };
      this.waiters.push(waiter);
      waiter.offAbort = onAbort(signal, () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortReason(signal));
      });
    });
  }

  /** Returns a sequence; the longest waiter gets it at once. */
  release(sequence: LlamaContextSequence): void {
    const next = this.waiters.shift();
    if (next && !sequence.disposed) {
      next.offAbort();
      next.resolve(sequence);
      return;
    }
    if (next) this.waiters.unshift(next);
    this.lent--;
    if (!sequence.disposed) this.free.push(sequence);
  }

  /** Rejects everyone waiting (the context is going away). */
  rejectWaiters(error: Error): void {
    for (const w of this.waiters.splice(0)) {
      w.offAbort();
      w.reject(error);
    }
  }

  private create(): LlamaContextSequence | undefined {
    if (this.created >= this.context.totalSequences || this.context.sequencesLeft === 0) return undefined;
    this.created++;
    return this.context.getSequence();
  }
}
