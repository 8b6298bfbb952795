/** Knobs that make the fake OpenAI server misbehave in controlled, repeatable ways. */
export interface FaultConfig {
  /** Answer with this HTTP status and an OpenAI-shaped error body (JSON even when `stream: true`). */
  status?: number;
  /** Override the error message of a `status` answer. */
  errorMessage?: string;
  /** With `status`: only the first N matching requests fail (counted per config, reset by `reset()`). */
  failTimes?: number;
  /** With `status`: adds a `retry-after: <value>` header. */
  retryAfter?: string;
  /** Delay before writing response headers (any route). */
  headersDelayMs?: number;
  /** Streams: delay after the headers before the first content token. */
  firstTokenDelayMs?: number;
  /** Streams: delay between content tokens. */
  tokenDelayMs?: number;
  /** Streams: destroy the socket after N content tokens (no finish chunk, no [DONE], no chunked terminator). */
  dropAfterTokens?: number;
  /** Streams: write one malformed event after N content tokens, then carry on. */
  malformedAfterTokens?: number;
  /** Streams: end cleanly after the content tokens, without finish/usage chunks or [DONE]. */
  endWithoutDone?: boolean;
  /** true: always send the usage chunk; false: never; default: only when `stream_options.include_usage`. */
  usage?: boolean;
  /** Non-stream routes: 200 with a `text/html` body `<html>oops</html>`. */
  nonJson?: boolean;
  /** Non-stream routes: 200 with the JSON body cut in half. */
  truncatedJson?: boolean;
  /** With `status`: the error message includes the raw bearer token (to test client-side redaction). */
  echoKeyInError?: boolean;
  /** The streamed/returned content pieces (default: `" tok"` x 16); chat and completions. */
  tokens?: string[];
  /** Embeddings: inputs whose estimated tokens exceed this get a 400 context-length error. */
  maxInputTokens?: number;
  /**
   * Chat: the model's reasoning, streamed before the content (one `chat.completion.chunk` per piece, with
   * `tokenDelayMs` between chunks) as OpenAI-compatible servers for reasoning models send it, and given as
   * `message.<reasoningField>` in a non-stream answer. The usage then counts these pieces in
   * `completion_tokens` and adds `completion_tokens_details: { reasoning_tokens }`. `max_tokens` cuts only
   * the content. Legacy completions ignore it.
   */
  reasoningTokens?: string[];
  /**
   * Chat: the delta / message field that carries the reasoning: `"reasoning_content"` (default; DeepSeek's
   * API, vLLM before 0.11, llama.cpp's server, LM Studio) or `"reasoning"` (OpenRouter, Ollama, vLLM 0.11+).
   */
  reasoningField?: "reasoning_content" | "reasoning";
  /**
   * Chat streams: what a reasoning chunk's delta says about `content`. `"omit"` (default): no `content` key,
   * `{"reasoning_content":"…"}` (vLLM, llama.cpp); `"null"`: `{"content":null,"reasoning_content":"…"}`, and
   * content chunks then carry `"reasoning_content":null` (DeepSeek's API); `"empty"`:
   * `{"content":"","reasoning":"…"}` (Ollama, OpenRouter).
   */
  reasoningDeltaContent?: "omit" | "null" | "empty";
  /** Chat streams: send the reasoning after this many content tokens instead of before them (interleaved). */
  reasoningAfterTokens?: number;
  /**
   * Chat: a malformed reasoning field: this non-string value (e.g. `42` or `{}`; `null` is a valid value) is
   * sent as the reasoning field of one extra chunk after the `reasoningTokens` (streams), or as
   * `message.<reasoningField>` (non-stream).
   */
  malformedReasoning?: unknown;
}

/** The routes the fake server implements. */
export type Route = "chat" | "completions" | "embeddings";

/** One request as the fake server saw and answered it. */
export interface RecordedRequest {
  index: number;
  route: Route | "other";
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (undefined until read, or when it was not valid JSON). */
  body: unknown;
  /** `body.stream === true`. */
  streamed: boolean;
  /** Status sent (0 until the headers are written). */
  status: number;
  /** Content tokens written so far (live while streaming). */
  tokensSent: number;
  /** Reasoning chunks written so far (live while streaming; `reasoningTokens`, the malformed one included). */
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

/** The OpenAI error envelope: `{"error":{"message","type","param","code"}}`. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** What an error answer needs to know about the request. */
export interface ErrorContext {
  model: string;
  /** Raw bearer token from the Authorization header, if any. */
  apiKey: string | undefined;
  errorMessage?: string;
  echoKeyInError?: boolean;
}

/** Masks a key the way OpenAI does in 401 messages: `sk-abc***************wxyz`. */
export function maskKey(key: string): string {
  if (key.length <= 8) return "*".repeat(key.length);
  return `${key.slice(0, 3)}${"*".repeat(key.length - 7)}${key.slice(-4)}`;
}

/** Builds the OpenAI-shaped error body for a configured fault status. */
export function faultError(status: number, ctx: ErrorContext): OpenAIErrorBody {
  const key = ctx.apiKey;
  const shown = ctx.echoKeyInError ? (key ?? "") : maskKey(key ?? "");
  let type = status >= 500 ? "server_error" : "invalid_request_error";
  let code: string | null = null;
  let message: string;
  switch (status) {
    case 400:
      message = "Invalid request.";
      break;
    case 401:
      code = "invalid_api_key";
      message =
        key === undefined
          ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys."
          : `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`;
      break;
    case 403:
      code = "permission_denied";
      message = "You are not allowed to perform this request with this API key.";
      break;
    case 404:
      code = "model_not_found";
      message = `The model \`${ctx.model}\` does not exist or you do not have access to it.`;
      break;
    case 429:
      type = "requests";
      code = "rate_limit_exceeded";
      message = `Rate limit reached for ${ctx.model} in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.`;
      break;
    case 500:
      message =
        "The server had an error while processing your request. Sorry about that! You can retry your request, or contact us through our help center at help.openai.com if the error persists.";
      break;
    case 503:
      message = "The engine is currently overloaded, please try again later.";
      break;
    default:
      message = `Request failed with status ${status}.`;
  }
  if (ctx.errorMessage !== undefined) message = ctx.errorMessage;
  if (ctx.echoKeyInError && key !== undefined && !message.includes(key)) {
    message = `${message} (Authorization: Bearer ${key})`;
  }
  return { error: { message, type, param: null, code } };
}

/** A plain `invalid_request_error` body (400s and unknown URLs). */
export function invalidRequest(message: string, param: string | null = null): OpenAIErrorBody {
  return { error: { message, type: "invalid_request_error", param, code: null } };
}

/** OpenAI's answer to a body that is not valid JSON. */
export const INVALID_JSON_MESSAGE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";
