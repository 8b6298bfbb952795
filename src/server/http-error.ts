import {
  AbortError,
  InvalidArgumentError,
  NotImplementedError,
  ProviderError,
  ProviderTimeoutError,
  RateLimitError,
  StreamdexError,
  StreamInterruptedError,
} from "../errors/index.js";

/** An error answered with an HTTP status and a JSON body `{ error: { code, message } }`. */
export class HttpError extends StreamdexError {
  /** HTTP status to answer with. */
  readonly status: number;
  /** Extra response headers (e.g. `Retry-After`, `Allow`). */
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message, { code });
    this.status = status;
    this.headers = headers;
  }
}

/**
 * The HTTP answer for an error raised while handling a request. Provider errors are the server's upstream
 * failing, so a provider's 401 becomes a 502 (the client's own credentials were fine). Unknown errors become
 * a 500 whose message says nothing of the internals.
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof InvalidArgumentError) return new HttpError(400, error.code, error.message);
  if (error instanceof NotImplementedError) return new HttpError(501, error.code, error.message);
  if (error instanceof RateLimitError) return new HttpError(429, error.code, error.message);
  if (error instanceof ProviderTimeoutError) return new HttpError(504, error.code, error.message);
  if (error instanceof ProviderError) return new HttpError(502, error.code, error.message);
  // The client went away; nobody reads this answer, but it is logged with this status.
  if (error instanceof AbortError) return new HttpError(499, error.code, error.message);
  // A provider failing mid-answer (for `stream: false`) is still the upstream's failure.
  if (error instanceof StreamInterruptedError && error.cause !== undefined) {
    const upstream = toHttpError(error.cause);
    if (upstream.status !== 500) return new HttpError(upstream.status, error.code, error.message);
  }
  if (error instanceof StreamdexError) return new HttpError(500, error.code, error.message);
  return new HttpError(500, "internal_error", "The server failed to answer this request.");
}
