import type { LLMStream, LLMStreamPart } from "../llms/types.js";
import { DONE } from "./iteration-done.js";

/** How {@link providerStream} adapts a provider's stream. */
export interface ProviderStreamOptions<T> {
  /** The provider SDK's stream of parsed events (one per SSE event). */
  source: AsyncIterable<T>;
  /**
   * One provider event to the parts it carries, in order: usually one part, several when an event carries
   * several things (text and a finish reason), none (`[]`) when it carries nothing (a keep-alive, a role-only event).
   */
  map(event: T): LLMStreamPart | readonly LLMStreamPart[];
  /** Any error from the source to a typed error. */
  mapError(error: unknown): Error;
  /**
   * The error thrown when `map` fails on an event (e.g. `data: null`, a field of the wrong type): the request is
   * aborted first. Default: `mapError`.
   */
  malformedEvent?(error: unknown): Error;
  /** Longest wait for the next event while the consumer is waiting for it; then the request is aborted. */
  idleTimeoutMs: number;
  /** The error thrown when the wait exceeded `idleTimeoutMs`. */
  timeoutError(): Error;
  /** Aborts the underlying request. */
  abort(): void;
  /**
   * The error thrown when the source ends without any event carrying a finish reason (a cut connection the SDK
   * reports as a normal end, a server that forgot `[DONE]`). Omit to accept such ends.
   */
  truncatedError?(): Error;
}

/**
 * Wraps a provider SDK stream as an {@link LLMStream}: the parts of each provider event, pulled only when the
 * consumer asks (no read-ahead), with typed errors, an idle timeout that only runs while the consumer waits, and
 * detection of streams that end without finishing. `return()` (a `break`) stops the provider request.
 */
export function providerStream<T>(options: ProviderStreamOptions<T>): LLMStream {
  return new ProviderStream(options);
}

class ProviderStream<T> implements AsyncIterableIterator<LLMStreamPart> {
  private readonly source: AsyncIterator<T>;
  /** The rest of an event that mapped to several parts. */
  private pending: LLMStreamPart[] = [];
  private finished = false;
  private sawFinish = false;
  private timedOut = false;
  private waitingSince = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ProviderStreamOptions<T>) {
    this.source = options.source[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<LLMStreamPart>> {
    const queued = this.pending.shift();
    if (queued) return Promise.resolve({ done: false, value: queued });
    if (this.finished) return Promise.resolve(DONE);
    this.waitingSince = performance.now();
    this.timer ??= this.schedule(this.options.idleTimeoutMs);
    return this.source.next().then(this.onResult, this.onError);
  }

  async return(): Promise<IteratorResult<LLMStreamPart>> {
    this.pending = [];
    const early = !this.finished;
    this.stop();
    // An SDK stream that was never read is an unstarted generator: its return() runs no cleanup, so the
    // request is aborted explicitly.
    if (early) this.options.abort();
    await this.source.return?.();
    return DONE;
  }

  private readonly onResult = (
    result: IteratorResult<T>,
  ): IteratorResult<LLMStreamPart> | Promise<IteratorResult<LLMStreamPart>> => {
    this.waitingSince = 0;
    if (this.timedOut) throw this.options.timeoutError();
    if (result.done) {
      this.stop();
      if (!this.sawFinish && this.options.truncatedError) throw this.options.truncatedError();
      return DONE;
    }
    let mapped: LLMStreamPart | readonly LLMStreamPart[];
    try {
      mapped = this.options.map(result.value);
    } catch (error) {
      // An event we cannot read ends the stream: stop the request rather than leave it streaming unread.
      this.stop();
      this.options.abort();
      this.source.return?.().catch(() => {});
      throw (this.options.malformedEvent ?? this.options.mapError)(error);
    }
    if (!isPartList(mapped)) {
      if (mapped.type === "finish" && mapped.finishReason) this.sawFinish = true;
      return { done: false, value: mapped };
    }
    for (const part of mapped) if (part.type === "finish" && part.finishReason) this.sawFinish = true;
    const [first, ...rest] = mapped;
    if (!first) return this.next(); // an event with nothing in it: read the next one
    this.pending.push(...rest);
    return { done: false, value: first };
  };

  private readonly onError = (error: unknown): never => {
    this.stop();
    throw this.timedOut ? this.options.timeoutError() : this.options.mapError(error);
  };

  /** One timer per stream, re-armed only when it fires early: no per-chunk timer churn. */
  private schedule(ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timer = undefined;
      if (this.finished) return;
      const waited = this.waitingSince === 0 ? 0 : performance.now() - this.waitingSince;
      if (waited >= this.options.idleTimeoutMs) {
        this.timedOut = true;
        this.options.abort();
      } else {
        this.timer = this.schedule(this.options.idleTimeoutMs - waited);
      }
    }, ms);
    timer.unref();
    return timer;
  }

  private stop(): void {
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function isPartList(mapped: LLMStreamPart | readonly LLMStreamPart[]): mapped is readonly LLMStreamPart[] {
  return Array.isArray(mapped);
}
