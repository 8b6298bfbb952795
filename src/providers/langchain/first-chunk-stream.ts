import type { LLMStream, LLMStreamPart } from "../../llms/types.js";
import { providerStream } from "../../streaming/provider-stream.js";
import { anySignal, throwIfAborted } from "../../utils/abort.js";

/** How {@link startFirstChunkStream} starts and adapts one LangChain `.stream()` call. */
export interface FirstChunkStreamOptions {
  /** Starts the call, e.g. `(signal) => model.stream(input, { signal })`. */
  start(signal: AbortSignal): Promise<AsyncIterable<unknown>>;
  /** The caller's signal. */
  signal: AbortSignal | undefined;
  /** One LangChain chunk to its parts. */
  map(chunk: unknown): LLMStreamPart | readonly LLMStreamPart[];
  /** Any error to a typed one; `signal` is the call's combined signal (caller's and internal). */
  mapError(error: unknown, signal: AbortSignal): Error;
  /** Longest wait for the next chunk while the consumer waits for it. */
  idleTimeoutMs: number;
  timeoutError(): Error;
}

/**
 * Starts a LangChain stream and waits for its FIRST chunk before resolving, then returns an {@link LLMStream}
 * that yields that buffered chunk and continues with the rest, the parts of each LangChain chunk.
 *
 * Why: LangChain gives no "request accepted" moment (no response headers), and an error before the first token
 * (a 401, a bad model name) only surfaces when the first chunk is pulled. Pulling it here makes such errors
 * reject the call, as the {@link LLM} contract requires, instead of surfacing mid-stream; the price is that the
 * call resolves at the first token rather than at the headers. Nothing else is read ahead: the rest is pulled
 * only as the consumer asks.
 *
 * Stopping early (`break`/`return()`) or the caller's signal aborts an internal `AbortController` whose signal
 * was given to `.stream()`, so the provider request stops even when the model is waiting for its next token.
 */
export async function startFirstChunkStream(options: FirstChunkStreamOptions): Promise<LLMStream> {
  throwIfAborted(options.signal);
  const controller = new AbortController();
  const signal = anySignal(options.signal, controller.signal) as AbortSignal;
  let iterator: AsyncIterator<unknown>;
  let first: IteratorResult<unknown>;
  try {
    iterator = (await options.start(signal))[Symbol.asyncIterator]();
    first = await iterator.next();
  } catch (error) {
    const mapped = options.mapError(error, signal);
    controller.abort();
    throw mapped;
  }
  return providerStream({
    source: withFirst(first, iterator),
    map: options.map,
    mapError: (error) => options.mapError(error, signal),
    idleTimeoutMs: options.idleTimeoutMs,
    timeoutError: options.timeoutError,
    abort: () => controller.abort(),
  });
}

/** An iterable that yields the already pulled `first` result, then delegates to `rest`. */
function withFirst(first: IteratorResult<unknown>, rest: AsyncIterator<unknown>): AsyncIterable<unknown> {
  let pending: IteratorResult<unknown> | undefined = first;
  let closed = false;
  const iterator: AsyncIterator<unknown> = {
    next() {
      if (closed) return Promise.resolve({ done: true, value: undefined });
      if (pending !== undefined) {
        const result = pending;
        pending = undefined;
        if (result.done) closed = true;
        return Promise.resolve(result);
      }
      return rest.next();
    },
    return() {
      pending = undefined;
      if (!closed) {
        closed = true;
        // The request has already been aborted; LangChain's stream may only settle once its pending read does,
        // so its cleanup runs without holding up the consumer's `break`.
        Promise.resolve()
          .then(() => rest.return?.())
          .catch(() => undefined);
      }
      return Promise.resolve({ done: true, value: undefined });
    },
  };
  return { [Symbol.asyncIterator]: () => iterator };
}
