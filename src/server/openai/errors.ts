import { HttpError, toHttpError } from "../http-error.js";
import { type CoreReply, jsonReply } from "../reply.js";

/** OpenAI's error `type`s that this API answers with. */
export type OpenAIErrorType = "invalid_request_error" | "requests" | "server_error";

/** An error answered in OpenAI's shape: `{ error: { message, type, param, code } }`. */
export class OpenAIApiError extends HttpError {
  /** OpenAI's error type (`invalid_request_error`, ...). */
  readonly type: OpenAIErrorType;
  /** The request field at fault (`"messages[2].content"`), or `null`. */
  readonly param: string | null;

  constructor(
    status: number,
    type: OpenAIErrorType,
    code: string,
    message: string,
    param: string | null = null,
    headers: Record<string, string> = {},
  ) {
    super(status, code, message, headers);
    this.type = type;
    this.param = param;
  }
}

/** A 400 `invalid_request_error` naming the field at fault. */
export function invalidRequest(param: string | null, code: string, message: string): OpenAIApiError {
  return new OpenAIApiError(400, "invalid_request_error", code, message, param);
}

/**
 * Any error as an {@link OpenAIApiError}: streamdex's own statuses and codes are kept (a 415, a provider's 502...),
 * with the type OpenAI gives that class of status.
 */
export function toOpenAIError(error: unknown): OpenAIApiError {
  if (error instanceof OpenAIApiError) return error;
  const http = toHttpError(error);
  const type: OpenAIErrorType =
    http.status === 429 ? "requests" : http.status >= 500 ? "server_error" : "invalid_request_error";
  return new OpenAIApiError(http.status, type, http.code, http.message, null, http.headers);
}

/** The OpenAI error body of an error (its `message`, `type`, `param` and `code`). */
export function errorBody(error: OpenAIApiError) {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
}

/** The JSON reply of an error, with its status and headers. */
export function openAIErrorReply(error: unknown, headers: Record<string, string> = {}): CoreReply {
  const e = toOpenAIError(error);
  return jsonReply(e.status, errorBody(e), { ...headers, ...e.headers });
}
