/** Knobs that make the fake TGI server misbehave in controlled, repeatable ways. */
export interface FaultConfig {
  /** Answer with this HTTP status before any stream starts, with the body TGI or the HF front door sends. */
  status?: number;
  /** Override the `error` text of a `status` answer or of a `streamError` event. */
  errorMessage?: string;
  /** With `status`: only the first N matching requests fail (counted per config, reset by `reset()`). */
  failTimes?: number;
  /** With `status`: adds a `retry-after: <value>` header. */
  retryAfter?: string;
  /** With `status: 503`: the `estimated_time` (seconds) of the "model is loading" body (default 20). */
  estimatedTime?: number;
  /** With `status`: the error text includes the raw bearer token (to test client-side redaction). */
  echoKeyInError?: boolean;
  /** Requests without `Authorization: Bearer <requireToken>` get a 401, as an Inference Endpoint answers. */
  requireToken?: string;
  /** `/v1/chat/completions` answers 422 `template_error`, as TGI does for a model without a chat template. */
  noChatTemplate?: boolean;
  /** Delay before writing response headers (any route). */
  headersDelayMs?: number;
  /** Streams: delay after the headers before the first token. */
  firstTokenDelayMs?: number;
  /** Streams: delay between tokens. */
  tokenDelayMs?: number;
  /** Streams: destroy the socket after N content tokens (no final event, no chunked terminator). */
  dropAfterTokens?: number;
  /** Streams: write one malformed `data:` line after N content tokens, then carry on. */
  malformedAfterTokens?: number;
  /** Streams: end cleanly after the content tokens, without the final event (no details, no `[DONE]`). */
  endWithoutFinal?: boolean;
  /**
   * Streams: after `afterTokens` tokens (default 0) write TGI's in-stream error event
   * `data:{"error","error_type"}` (how TGI reports validation, overload and generation failures once the
   * stream has started) and end the stream.
   */
  streamError?: { afterTokens?: number; type?: string };
  /** Streams: write SSE comments (`:`), as axum's keep-alive does, before and between tokens. */
  keepAlive?: boolean;
  /** Streams: write `data: ` with a space (as the HF router's proxy does) instead of TGI's own `data:`. */
  sseSpace?: boolean;
  /** The generated content tokens (default `" tok"` x 16); an EOS token follows unless cut short. */
  tokens?: string[];
  /** The end-of-sequence token, sent last with `special: true` (default `"</s>"`). */
  eosToken?: string;
  /** Non-stream routes: 200 with half of the JSON body. */
  truncatedJson?: boolean;
  /**
   * `/v1/chat/completions`: the model's reasoning in its own field, as the HF router sends it for reasoning
   * models (TGI itself has no reasoning parser: a TGI-served reasoning model streams its `<think>` block as
   * content, which `thinkBlockTokens` builds). Streams: one chunk per piece, before the content tokens, delta
   * `{ role: "assistant", <reasoningField>: "…" }`; non-stream: `message.<reasoningField>`. The pieces count in
   * `usage.completion_tokens` (TGI's usage has no details object). `/generate(_stream)` ignore it.
   */
  reasoningTokens?: string[];
  /** The field of `reasoningTokens`: `"reasoning_content"` (default) or `"reasoning"`. */
  reasoningField?: "reasoning_content" | "reasoning";
}

/** The routes the fake server implements. */
export type Route = "generate" | "generate_stream" | "chat" | "compat" | "info" | "health";

/** One request as the fake server saw and answered it. */
export interface RecordedRequest {
  index: number;
  route: Route | "other";
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (undefined when absent or not valid JSON). */
  body: unknown;
  /** The answer was (or was to be) a stream. */
  streamed: boolean;
  /** Status sent (0 until the headers are written). */
  status: number;
  /** Tokens written so far, EOS included (live while streaming). */
  tokensSent: number;
  /** `reasoningTokens` chunks written so far (live while streaming). */
  reasoningSent: number;
  /** The client closed the connection before the response finished. */
  clientAborted: boolean;
  /** The server finished writing the response normally. */
  finished: boolean;
  /** `performance.now()` when the request arrived. */
  receivedAt: number;
  /** `performance.now()` when the headers were written. */
  headersSentAt?: number;
  /** Times `res.write()` returned false and the server waited for 'drain'. */
  backpressureWaits: number;
}

/** TGI's `ErrorResponse`; the HF front door (router, Inference Endpoints) sends `{ error }` alone. */
export interface TGIErrorBody {
  error: string;
  error_type?: string;
  /** Only on the front door's 503 "model is loading". */
  estimated_time?: number;
}

/** What an error answer needs to know about the request. */
export interface ErrorContext {
  model: string;
  /** Raw bearer token from the Authorization header, if any. */
  token: string | undefined;
  errorMessage?: string;
  echoKeyInError?: boolean;
  estimatedTime?: number;
}

/** TGI's `InferError` texts and `error_type`s, by the error type. */
export const TGI_ERRORS: Record<string, string> = {
  validation: "Input validation error: `inputs` must not be empty",
  overloaded: "Model is overloaded",
  generation:
    "Request failed during generation: Server error: CUDA out of memory. Tried to allocate 2.00 GiB",
  incomplete_generation: "Incomplete generation",
  template_error: "Template error: template not found",
};

/** The body answered for a configured fault status (TGI's own errors, or the HF front door's). */
export function faultError(status: number, ctx: ErrorContext): TGIErrorBody {
  const tgi = (type: string): TGIErrorBody => ({ error: TGI_ERRORS[type] ?? type, error_type: type });
  let body: TGIErrorBody;
  switch (status) {
    case 401:
      body = { error: "Invalid credentials in Authorization header" };
      break;
    case 403:
      body = {
        error: `Access to model ${ctx.model} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
      };
      break;
    case 404:
      body = { error: `Model ${ctx.model} does not exist` };
      break;
    case 422:
      body = tgi("validation");
      break;
    case 424:
      body = tgi("generation");
      break;
    case 429:
      body = tgi("overloaded");
      break;
    case 500:
      body = tgi("incomplete_generation");
      break;
    case 503:
      body = { error: `Model ${ctx.model} is currently loading`, estimated_time: ctx.estimatedTime ?? 20 };
      break;
    default:
      body = { error: `Request failed with status ${status}` };
  }
  if (ctx.errorMessage !== undefined) body.error = ctx.errorMessage;
  if (ctx.echoKeyInError && ctx.token !== undefined && !body.error.includes(ctx.token)) {
    body.error = `${body.error} (Authorization: Bearer ${ctx.token})`;
  }
  return body;
}
