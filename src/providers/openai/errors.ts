import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import {
  AbortError,
  AuthenticationError,
  BadRequestError,
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
import type { ResolvedClient } from "./client.js";

/** What the request was, for the message. */
export interface RequestContext {
  what: string;
  model: string;
}

/**
 * Turns anything the OpenAI SDK throws into a typed {@link StreamdexError} whose message says what went wrong and
 * what to do. The API key never appears in it: it is redacted from the provider's own message too.
 */
export function toStreamdexError(error: unknown, conn: ResolvedClient, ctx: RequestContext): Error {
  if (error instanceof StreamdexError) return error;
  const key = conn.apiKey;
  if (error instanceof APIUserAbortError)
    return new AbortError("The OpenAI request was aborted.", { cause: undefined });
  if (error instanceof APIConnectionTimeoutError) {
    return new ProviderTimeoutError(
      `${ctx.what} to ${conn.baseURL} got no response within ${conn.timeout} ms (after ${conn.maxRetries} retries). ` +
        "Raise `timeout`, or check that the server is up.",
      { provider: "openai" },
    );
  }
  if (error instanceof APIConnectionError) {
    return new ProviderConnectionError(
      `${ctx.what} could not reach ${conn.baseURL} (after ${conn.maxRetries} retries): ${redact(causeText(error), key)}. ` +
        "Check `baseURL` and that the server is running.",
      { provider: "openai" },
    );
  }
  if (error instanceof APIError && typeof error.status === "number") {
    const body = error.error as { message?: unknown; code?: unknown } | undefined;
    const providerMessage = redact(
      typeof body?.message === "string" ? body.message : stripStatus(error.message),
      key,
    );
    const init: ProviderErrorInit = {
      provider: "openai",
      status: error.status,
      providerMessage,
      providerCode: typeof body?.code === "string" ? body.code : (error.code ?? undefined),
      requestId: error.requestID ?? undefined,
    };
    const said = `(${error.status}): ${providerMessage}`;
    const retried = `after ${conn.maxRetries} retries`;
    switch (true) {
      case error.status === 401:
        return new AuthenticationError(
          `${ctx.what} was refused ${said}. Check OPENAI_API_KEY or the apiKey option.`,
          init,
        );
      case error.status === 403:
        return new PermissionDeniedError(
          `${ctx.what} was refused ${said}. The key may not use model "${ctx.model}".`,
          init,
        );
      case error.status === 404:
        return new ModelNotFoundError(
          `${ctx.what} found no model "${ctx.model}" at ${conn.baseURL} ${said}. Check the model name and baseURL.`,
          init,
        );
      case error.status === 429:
        return new RateLimitError(
          `${ctx.what} was rate limited ${said}, ${retried}. Wait, lower concurrency, or raise maxRetries.`,
          init,
        );
      case error.status >= 500:
        return new ProviderServerError(
          `${ctx.what} failed on the server ${said}, ${retried}. Try again later.`,
          init,
        );
      case error.status === 400 || error.status === 422:
        return new BadRequestError(`${ctx.what} was rejected ${said}.`, init);
      default:
        return new ProviderError(`${ctx.what} failed ${said}.`, init);
    }
  }
  if (error instanceof APIError) {
    // No status: the server reported an error inside a stream that had started (`event: error`, `{"error": …}`).
    const body = error.error as { message?: unknown; code?: unknown } | undefined;
    const providerMessage = redact(typeof body?.message === "string" ? body.message : error.message, key);
    return new ProviderServerError(
      `${ctx.what} failed on the server mid-stream: ${providerMessage}. Try again later.`,
      {
        provider: "openai",
        providerMessage,
        providerCode: typeof body?.code === "string" ? body.code : (error.code ?? undefined),
      },
    );
  }
  if (error instanceof SyntaxError) {
    return new MalformedResponseError(
      `${ctx.what} got a response that is not valid JSON from ${conn.baseURL} (${redact(error.message, key)}). Is ` +
        "baseURL an OpenAI-compatible API?",
      // Not the SyntaxError itself: V8 quotes the start of the body in its message, which a server may echo the key in.
      { provider: "openai" },
    );
  }
  if (
    error instanceof TypeError ||
    (error instanceof Error && /terminated|socket|ECONNRESET/i.test(error.message))
  ) {
    return new ProviderConnectionError(
      `${ctx.what}: the connection to ${conn.baseURL} was lost (${redact(error.message, key)}).`,
      { provider: "openai", cause: error },
    );
  }
  return error instanceof Error ? error : new ProviderError(String(error), { provider: "openai" });
}

function causeText(error: Error): string {
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === "string" ? `${code} ${cause.message}` : cause.message;
  }
  return error.message;
}

function stripStatus(message: string): string {
  return message.replace(/^\d{3}\s+/, "");
}
