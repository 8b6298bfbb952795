import type { HttpError } from "./http-error.js";

/** What the routing core needs of one HTTP request, whatever server received it. */
export interface CoreRequest {
  method: string;
  /** The URL's path, without query string. */
  path: string;
  /** A request header (lower-case name), or `undefined`. */
  header(name: string): string | undefined;
  /** The body, up to `maxBytes`; throws a 413 {@link HttpError} beyond. */
  readBody(maxBytes: number): Promise<Uint8Array>;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
}

/** A streamed body: pull `chunks` (text) as fast as the client reads; `cancel()` if the client leaves. */
export interface ReplyStream {
  chunks: AsyncIterable<string>;
  /** Stops the answer (the provider request is aborted). Safe to call at any time, and twice. */
  cancel(): Promise<void>;
}

/** The core's answer: a whole body, or a stream. */
export type CoreReply =
  | { status: number; headers: Record<string, string>; body: string }
  | { status: number; headers: Record<string, string>; stream: ReplyStream };

/** Headers sent on every answer. */
export const BASE_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** A JSON answer. */
export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): CoreReply {
  return {
    status,
    headers: {
      ...BASE_HEADERS,
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      ...headers,
    },
    body: JSON.stringify(value),
  };
}

/** The JSON answer for an error: `{ error: { code, message } }`, with the error's status and headers. */
export function errorReply(error: HttpError, headers: Record<string, string> = {}): CoreReply {
  return jsonReply(
    error.status,
    { error: { code: error.code, message: error.message } },
    { ...headers, ...error.headers },
  );
}
