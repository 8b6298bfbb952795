import {
  AbortError,
  AuthenticationError,
  BadRequestError,
  isAbortError,
  ModelNotFoundError,
  PermissionDeniedError,
  ProviderConnectionError,
  ProviderError,
  type ProviderErrorInit,
  ProviderServerError,
  ProviderTimeoutError,
  RateLimitError,
  StreamdexError,
} from "../../errors/index.js";
import { messageOf } from "../../errors/message-of.js";
import { redactSecrets } from "../../errors/redact.js";

/** What was being done, for the message, and the secrets that must not appear in it. */
export interface LangChainErrorContext {
  /** E.g. `"LangChain ChatOpenAI (gpt-4o-mini) chat stream"`. */
  what: string;
  /** API keys and tokens found on the model, redacted from every message. */
  secrets: string[];
  /** The call's own signal: when it is aborted, whatever the model threw is an {@link AbortError}. */
  signal?: AbortSignal;
}

/** LangChain's `lc_error_code`s that say what went wrong. */
const LC_CODE_STATUS: Record<string, number> = {
  MODEL_AUTHENTICATION: 401,
  MODEL_NOT_FOUND: 404,
  MODEL_RATE_LIMIT: 429,
};

const ABORT_NAMES = new Set(["AbortError", "ModelAbortError", "APIUserAbortError"]);

const CONNECTION_CODES = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EPIPE|ETIMEDOUT|UND_ERR_\w+)$/;

/**
 * Turns what a LangChain model throws into a typed {@link StreamdexError}. Recognises HTTP statuses (`status`,
 * `statusCode`, `response.status`), LangChain's `lc_error_code`, aborts (`AbortError`, `ModelAbortError`),
 * timeouts, connection failures and context overflows; anything else becomes a {@link ProviderError}. The model's
 * keys are redacted from every message, and so is anything shaped like one. The original error is never kept as
 * `cause`: SDK errors carry the provider's response body (which may echo the `Authorization` header), the request
 * and a stack whose first line is the unscrubbed message, so `console.error(err)` would print the key. `cause` is a
 * {@link scrubbedCause scrubbed copy} instead.
 */
export function toStreamdexError(error: unknown, ctx: LangChainErrorContext): StreamdexError {
  if (error instanceof StreamdexError) return error;
  const clean = (text: string) => scrub(text, ctx.secrets);
  const cause = scrubbedCause(error, clean);
  if (ctx.signal?.aborted || isAbortError(error) || ABORT_NAMES.has(nameOf(error) ?? "")) {
    return new AbortError(`${ctx.what} was aborted.`, { cause });
  }
  const message = clean(withoutStatus(error));
  const init: ProviderErrorInit = { provider: "langchain", providerMessage: message, cause };
  const status = statusOf(error);
  if (status !== undefined) {
    init.status = status;
    const code = providerCodeOf(error);
    if (code !== undefined) init.providerCode = code;
    const said = `(${status}): ${message.replace(/\.+$/, "")}`;
    switch (true) {
      case status === 401:
        return new AuthenticationError(`${ctx.what} was refused ${said}. Check the model's API key.`, init);
      case status === 403:
        return new PermissionDeniedError(
          `${ctx.what} was refused ${said}. The key may not use this model.`,
          init,
        );
      case status === 404:
        return new ModelNotFoundError(`${ctx.what} found no such model ${said}. Check the model name.`, init);
      case status === 429:
        return new RateLimitError(`${ctx.what} was rate limited ${said}. Wait, or lower concurrency.`, init);
      case status >= 500:
        return new ProviderServerError(`${ctx.what} failed on the server ${said}. Try again later.`, init);
      case status === 400 || status === 413 || status === 422:
        return new BadRequestError(`${ctx.what} was rejected ${said}.`, init);
      default:
        return new ProviderError(`${ctx.what} failed ${said}.`, init);
    }
  }
  const name = nameOf(error);
  if (name === "ContextOverflowError") {
    return new BadRequestError(
      `${ctx.what} was rejected: the prompt is over the context window (${message}).`,
      init,
    );
  }
  if (name === "TimeoutError" || name === "APIConnectionTimeoutError") {
    return new ProviderTimeoutError(`${ctx.what} timed out: ${message}. Raise the model's timeout.`, init);
  }
  const chain = causeChain(error);
  const lost = chain.find((e) => CONNECTION_CODES.test(codeOf(e) ?? ""));
  if (lost !== undefined || name === "APIConnectionError" || name === "FetchError") {
    const detail = clean(withoutStatus(lost ?? chain.at(-1)));
    return new ProviderConnectionError(`${ctx.what} could not reach the provider: ${detail}.`, init);
  }
  return new ProviderError(`${ctx.what} failed: ${message}`, init);
}

/**
 * String values of the model's fields that look like credentials (`apiKey`, `openAIApiKey`, `accessToken`...),
 * to be redacted from error messages.
 */
export function secretsOf(model: object): string[] {
  const out: string[] = [];
  for (const key of Object.keys(model)) {
    if (!/api_?key|token|secret|password/i.test(key) || /max|count|limit/i.test(key)) continue;
    const value = (model as Record<string, unknown>)[key];
    if (typeof value === "string" && value.length >= 6) out.push(value);
  }
  return out;
}

/** How many levels of `cause` {@link scrubbedCause} copies (enough for fetch → undici → socket errors). */
const MAX_CAUSE_DEPTH = 4;

/**
 * A copy of what the model threw that is safe to log: an `Error` with the original's name, its `status` and `code`
 * when they are plain values, its message with the secrets redacted, and the same for its causes (at most
 * {@link MAX_CAUSE_DEPTH} deep). Nothing else is copied: no stack (its first line is the raw message), no response
 * body, headers or request, any of which may hold the key.
 */
function scrubbedCause(error: unknown, clean: (text: string) => string, depth = 0): Error {
  const raw = messageOf(error);
  const inner =
    error instanceof Error && error.cause !== undefined && depth + 1 < MAX_CAUSE_DEPTH
      ? { cause: scrubbedCause(error.cause, clean, depth + 1) }
      : undefined;
  const copy = new Error(clean(raw), inner);
  copy.name = nameOf(error) ?? "Error";
  copy.stack = `${copy.name}: ${copy.message}`;
  const status = statusOf(error);
  if (status !== undefined) Object.assign(copy, { status });
  const code = providerCodeOf(error);
  if (code !== undefined) Object.assign(copy, { code: clean(code) });
  return copy;
}

/** The model's secrets, URL passwords and key-shaped strings redacted; LangChain's troubleshooting link dropped. */
function scrub(text: string, secrets: string[]): string {
  return redactSecrets(text, { secrets })
    .replace(/\s*Troubleshooting URL: \S+\s*$/, "")
    .trim();
}

function statusOf(error: unknown): number | undefined {
  const e = error as { status?: unknown; statusCode?: unknown; response?: { status?: unknown } } | null;
  for (const v of [e?.status, e?.statusCode, e?.response?.status]) {
    if (typeof v === "number" && Number.isInteger(v) && v >= 400 && v < 600) return v;
  }
  const lc = (e as { lc_error_code?: unknown } | null)?.lc_error_code;
  return typeof lc === "string" ? LC_CODE_STATUS[lc] : undefined;
}

function providerCodeOf(error: unknown): string | undefined {
  const e = error as { code?: unknown; lc_error_code?: unknown } | null;
  if (typeof e?.code === "string") return e.code;
  return typeof e?.lc_error_code === "string" ? e.lc_error_code : undefined;
}

/** The error's name, or its class name when the name is the generic `"Error"` (as for OpenAI SDK errors). */
function nameOf(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof name === "string" && name !== "Error") return name;
  const ctor = (error as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof ctor === "string" ? ctor : undefined;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** The error and its causes, outermost first (at most 5). */
function causeChain(error: unknown): unknown[] {
  const chain = [error];
  for (let e = error; e instanceof Error && e.cause !== undefined && chain.length < 5; e = e.cause) {
    chain.push(e.cause);
  }
  return chain;
}

/** The message, without the `"401 "` an SDK error puts before it (the status is reported apart). */
function withoutStatus(error: unknown): string {
  const message = messageOf(error);
  return error instanceof Error ? message.replace(/^\d{3}\s+/, "") : message;
}
