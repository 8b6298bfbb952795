import {
  AbortError,
  AuthenticationError,
  BadRequestError,
  isAbortError,
  MalformedResponseError,
  ModelNotFoundError,
  PermissionDeniedError,
  ProviderConnectionError,
  ProviderError,
  type ProviderErrorInit,
  ProviderServerError,
  ProviderTimeoutError,
  RateLimitError,
  redact,
  StreamdexError,
} from "../../errors/index.js";

const PROVIDER = "huggingface";

/** An HTTP answer that is not a success, or an error event inside a stream (`status` 200). */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

/** A 200 answer that is not what was asked for (not an event stream, no `generated_text`). */
export class UnexpectedAnswerError extends Error {}

/** What the message needs to say about the request. */
export interface ErrorContext {
  /** e.g. `"Hugging Face chat stream (tgi)"`. */
  what: string;
  /** The model asked for; undefined for an endpoint that serves one model. */
  model: string | undefined;
  /** The endpoint URL or the router. */
  where: string;
  /** Redacted from every message. */
  token: string | undefined;
  timeout: number;
  /** Retries already spent on this request. */
  retries: number;
  /** The client gave up waiting (`timeout`). */
  timedOut?: boolean;
}

/** TGI's in-stream `error_type`s, as the HTTP status TGI gives the same error outside a stream. */
const STATUS_OF_ERROR_TYPE: Record<string, number> = {
  validation: 422,
  template_error: 422,
  missing_template_variable: 422,
  tool_error: 422,
  overloaded: 429,
  generation: 424,
  incomplete_generation: 500,
  incomplete_generation_stream: 500,
};

/**
 * Turns whatever a request threw (the `@huggingface/inference` client's errors, an {@link HttpFailure}, fetch's
 * errors) into a typed {@link StreamdexError} whose message says what happened and what to do. The access token
 * never appears in it: it is redacted from the server's own text too, and the library's error (which holds the
 * request) is not kept as `cause`.
 */
export function toStreamdexError(error: unknown, ctx: ErrorContext): Error {
  if (error instanceof StreamdexError) return error;
  if (ctx.timedOut) {
    return new ProviderTimeoutError(
      `${ctx.what} got no response from ${ctx.where} within ${ctx.timeout} ms${retried(ctx)}. Raise \`timeout\`, or check that the server is up.`,
      { provider: PROVIDER },
    );
  }
  if (isAbortError(error)) return new AbortError("The Hugging Face request was aborted.");
  if (error instanceof HttpFailure) return fromStatus(error.status, error.body, ctx);
  const library = libraryError(error);
  if (library?.httpResponse) {
    const { status, body } = library.httpResponse;
    if (status === 200 && !isErrorBody(body)) return malformed(ctx, redact(library.message, ctx.token));
    return fromStatus(status, body === "" ? library.message : body, ctx);
  }
  if (error instanceof UnexpectedAnswerError || library?.name === "ProviderOutputError") {
    return malformed(ctx, redact((error as Error).message, ctx.token));
  }
  if (error instanceof SyntaxError)
    return malformed(ctx, `a response that is not valid JSON (${error.message})`);
  if (library)
    return new ProviderError(`${ctx.what}: ${redact(library.message, ctx.token)}`, { provider: PROVIDER });
  if (
    error instanceof TypeError ||
    (error instanceof Error && /terminated|socket|ECONN|EPIPE/i.test(error.message))
  ) {
    const cause = error.cause instanceof Error ? error.cause : undefined;
    const code = (cause as { code?: unknown } | undefined)?.code;
    const detail =
      typeof code === "string"
        ? `${code} ${cause?.message ?? ""}`.trim()
        : cause
          ? `${error.message} (${cause.message})`
          : error.message;
    return new ProviderConnectionError(
      `${ctx.what} lost or could not open its connection to ${ctx.where}${retried(ctx)}: ${redact(detail, ctx.token)}. ` +
        "Check `endpointUrl` and that the server is running.",
      { provider: PROVIDER },
    );
  }
  if (error instanceof Error) return error;
  return new ProviderError(`${ctx.what} failed: ${redact(String(error), ctx.token)}`, { provider: PROVIDER });
}

/** Whether an error (already typed) is worth another attempt: 429 or 503 (overloaded, loading). */
export function isRetryable(error: Error): boolean {
  return error instanceof RateLimitError || (error instanceof ProviderServerError && error.status === 503);
}

/** Whether an error says the server has no Messages API for this model (so text generation may work). */
export function lacksMessagesApi(error: unknown): boolean {
  return (
    (error instanceof ModelNotFoundError && error.status === 404) ||
    (error instanceof BadRequestError && error.providerCode === "template_error")
  );
}

/** Seconds a loading model still needs, from the 503 body of the raw error (before typing), if it says. */
export function retryHintSeconds(error: unknown): number | undefined {
  if (error instanceof HttpFailure) return estimatedLoadSeconds(error.body);
  return estimatedLoadSeconds(libraryError(error)?.httpResponse?.body);
}

/** Seconds the HF front door estimates a loading model needs (`estimated_time` of its 503 body). */
function estimatedLoadSeconds(body: unknown): number | undefined {
  const t = isRecord(body) ? body.estimated_time : undefined;
  return typeof t === "number" && Number.isFinite(t) && t >= 0 ? t : undefined;
}

function fromStatus(httpStatus: number, body: unknown, ctx: ErrorContext): ProviderError {
  const type = isRecord(body) && typeof body.error_type === "string" ? body.error_type : undefined;
  const status = httpStatus === 200 ? (STATUS_OF_ERROR_TYPE[type ?? ""] ?? 500) : httpStatus;
  const providerMessage = redact(messageOf(body) ?? `HTTP ${httpStatus}`, ctx.token);
  const init: ProviderErrorInit = { provider: PROVIDER, status, providerMessage, providerCode: type };
  const said = `(${status}${type ? ` ${type}` : ""}): ${providerMessage}`;
  const { what, model, where } = ctx;
  const loading =
    status === 503 && (estimatedLoadSeconds(body) !== undefined || /loading/i.test(providerMessage));
  switch (true) {
    case status === 401:
      return new AuthenticationError(
        `${what} was refused by ${where} ${said}. Check HF_TOKEN or the token option.`,
        init,
      );
    case status === 403:
      return new PermissionDeniedError(
        `${what} was refused ${said}. The token may not use ${model ? `"${model}"` : where} (gated models need their terms accepted on the Hub, fine-grained tokens the inference permission).`,
        init,
      );
    case status === 404:
      return new ModelNotFoundError(
        model
          ? `${what} found no model "${model}" at ${where} ${said}. Check the model id${where.startsWith("http") ? " and endpointUrl" : ""}.`
          : `${what} found nothing at ${where} ${said}. Check endpointUrl: the root URL of a TGI server or Inference Endpoint.`,
        init,
      );
    case type === "template_error":
      return new BadRequestError(
        `${what} was rejected ${said}: the model has no chat template. Pass { useChat: false } to send raw prompts.`,
        init,
      );
    case status === 400 || status === 422:
      return new BadRequestError(`${what} was rejected ${said}.`, init);
    case status === 429:
      return new RateLimitError(
        `${what} was refused: ${type === "overloaded" ? "the server is overloaded" : "rate limited"} ${said}${retried(ctx)}. Wait, lower concurrency, or raise maxRetries.`,
        init,
      );
    case loading: {
      const eta = estimatedLoadSeconds(body);
      return new ProviderServerError(
        `${what} failed: the model is still loading on ${where}${eta !== undefined ? ` (about ${eta} s more)` : ""} ${said}${retried(ctx)}. Try again shortly, or raise maxRetries.`,
        init,
      );
    }
    case status === 424:
      return new ProviderServerError(`${what} failed during generation on the server ${said}.`, init);
    case status >= 500:
      return new ProviderServerError(
        `${what} failed on the server ${said}${retried(ctx)}. Try again later.`,
        init,
      );
    default:
      return new ProviderError(`${what} failed ${said}.`, init);
  }
}

/**
 * The `@huggingface/inference` client's errors (`InferenceClientError` and subclasses), recognised by name so that
 * this module does not load the library: `ProviderApiError`/`HubApiError` carry the HTTP answer.
 */
function libraryError(
  error: unknown,
): { name: string; message: string; httpResponse?: { status: number; body: unknown } } | undefined {
  if (!(error instanceof Error)) return undefined;
  const names = ["ProviderApiError", "HubApiError", "ProviderOutputError", "InputError", "RoutingError"];
  if (!names.includes(error.name)) return undefined;
  const res = (error as { httpResponse?: unknown }).httpResponse;
  const httpResponse =
    isRecord(res) && typeof res.status === "number" ? { status: res.status, body: res.body } : undefined;
  return { name: error.name, message: error.message, httpResponse };
}

function malformed(ctx: ErrorContext, what: string): MalformedResponseError {
  return new MalformedResponseError(
    `${ctx.what} got ${what} from ${ctx.where}. Is it a Text Generation Inference server or Inference Endpoint?`,
    { provider: PROVIDER },
  );
}

function retried(ctx: ErrorContext): string {
  return ctx.retries > 0 ? ` (after ${ctx.retries} ${ctx.retries === 1 ? "retry" : "retries"})` : "";
}

function messageOf(body: unknown): string | undefined {
  if (typeof body === "string") return body.trim() === "" ? undefined : body.trim();
  if (!isRecord(body)) return undefined;
  const e = body.error;
  if (typeof e === "string") return e;
  if (isRecord(e) && typeof e.message === "string") return e.message;
  for (const k of ["message", "detail"] as const) if (typeof body[k] === "string") return body[k] as string;
  return undefined;
}

function isErrorBody(body: unknown): boolean {
  return isRecord(body) && "error" in body;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
