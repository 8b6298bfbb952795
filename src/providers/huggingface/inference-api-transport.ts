import { AbortError } from "../../errors/index.js";
import { onAbort } from "../../utils/abort.js";
import {
  type ErrorContext,
  isRetryable,
  retryHintSeconds,
  toStreamdexError,
} from "./inference-api-errors.js";

/** What the code of one attempt gets: a `fetch` to make its request with, and the attempt's signal. */
export interface Exchange {
  /** Use it for the request: it sends the attempt's signal and notes when the response headers arrived. */
  fetch: typeof fetch;
  signal: AbortSignal;
}

/** How requests are sent and retried. */
export interface TransportOptions {
  fetch: typeof fetch;
  /** Milliseconds to wait for the response (headers, for a stream). */
  timeout: number;
  maxRetries: number;
  /** The caller's signal: aborting it aborts the request and any backoff wait. */
  signal: AbortSignal | undefined;
  /** What the error messages say (retries and timeouts are filled in). */
  context: Omit<ErrorContext, "retries" | "timedOut">;
}

/** A stream the server has accepted (response headers received, status 2xx). */
export interface OpenedStream<T> {
  /** The server's events, read one per pull. */
  source: AsyncIterable<T>;
  /** Closes the HTTP connection. */
  abort(): void;
  /** Retries spent before the server accepted. */
  retries: number;
}

/** The accepted attempt, for whoever uses its response. */
export interface AttemptHandle {
  /** The exchange is over: drop the link to the caller's signal. */
  end(): void;
  /** Closes the connection. */
  abort(): void;
}

const MAX_RETRY_AFTER_MS = 60_000;

/** One attempt's request: its controller, the timer, the link to the caller's signal. */
class Attempt implements Exchange {
  readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  readonly headers: Promise<Response>;
  response: Response | undefined;
  timedOut = false;
  private timer: NodeJS.Timeout | undefined;
  private unlink: (() => void) | undefined;
  private gotHeaders!: (res: Response) => void;

  constructor(private readonly options: TransportOptions) {
    this.headers = new Promise((resolve) => {
      this.gotHeaders = resolve;
    });
    this.unlink = onAbort(options.signal, (reason) => this.controller.abort(reason));
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, options.timeout);
    this.timer.unref();
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const res = await this.options.fetch(input, { ...init, signal: this.signal });
    this.response = res;
    this.gotHeaders(res);
    return res;
  };

  /** The server answered in time: stop the response timer. */
  accepted(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The exchange is over: drop the timer and the link to the caller's signal. */
  end(): void {
    this.accepted();
    this.unlink?.();
    this.unlink = undefined;
  }

  /** Closes the connection and ends the exchange. */
  abort(): void {
    this.controller.abort();
    this.end();
  }
}

/**
 * Runs `run` until it succeeds, retrying (up to `maxRetries`) the failures worth it: 429 and 503 before anything
 * was delivered, after `Retry-After` (capped at 60 s), the loading estimate of a 503, or an exponential backoff.
 * Errors come out typed (see {@link toStreamdexError}).
 */
export async function withRetries<R>(
  options: TransportOptions,
  run: (exchange: Exchange & { headers: Promise<Response> }) => Promise<R>,
): Promise<{ value: R; attempt: AttemptHandle; retries: number }> {
  for (let retries = 0; ; retries++) {
    if (options.signal?.aborted) throw new AbortError("The Hugging Face request was aborted.");
    const attempt = new Attempt(options);
    try {
      const value = await run(attempt);
      attempt.accepted();
      return { value, attempt, retries };
    } catch (error) {
      attempt.abort();
      // Not `cause: error`: the library's errors hold the request, and the server's answer may echo the token.
      if (options.signal?.aborted) throw new AbortError("The Hugging Face request was aborted.");
      const typed = toStreamdexError(error, { ...options.context, retries, timedOut: attempt.timedOut });
      if (retries >= options.maxRetries || !isRetryable(typed)) throw typed;
      await pause(retryDelayMs(attempt.response, error, retries), options.signal);
    }
  }
}

/**
 * Starts a streaming request and resolves as soon as the server accepted it (2xx response headers), before the
 * first event: the first event is pulled in the background and handed to the first reader. A refusal (4xx/5xx)
 * rejects, after the retries allowed.
 */
export async function openStream<T>(
  options: TransportOptions,
  start: (exchange: Exchange) => AsyncGenerator<T>,
): Promise<OpenedStream<T>> {
  const { value, attempt, retries } = await withRetries(options, async (exchange) => {
    const events = start(exchange);
    const first = events.next();
    first.catch(() => undefined);
    const res = await Promise.race([exchange.headers, first.then(() => undefined)]);
    // A refusal, or an answer that is not a stream: the request code reads it and throws.
    if (res !== undefined && (!res.ok || !isEventStream(res))) await first;
    return { events, first };
  });
  async function* source(): AsyncGenerator<T> {
    try {
      const head = await value.first;
      if (head.done) return;
      yield head.value;
      yield* value.events;
    } finally {
      attempt.end();
    }
  }
  return { source: source(), abort: () => attempt.abort(), retries };
}

function isEventStream(res: Response): boolean {
  return (res.headers.get("content-type") ?? "").startsWith("text/event-stream");
}

/** How long to wait before retry number `retries + 1`. */
function retryDelayMs(response: Response | undefined, error: unknown, retries: number): number {
  const header = response?.headers.get("retry-after");
  if (header) {
    const seconds = Number(header);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
    if (Number.isFinite(ms)) return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
  }
  const loading = retryHintSeconds(error);
  if (loading !== undefined) return Math.min(Math.max(loading, 1), 20) * 1000;
  return Math.min(500 * 2 ** retries, 8_000) * (1 - Math.random() * 0.25);
}

/** Waits `ms`; rejects with {@link AbortError} as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError("The Hugging Face request was aborted while waiting to retry."));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
