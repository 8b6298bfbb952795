import OpenAIClient from "openai";
import { InvalidArgumentError } from "../../errors/index.js";
import { createHttpFetch, type FetchFunction } from "./http-transport.js";

/** Connection options shared by {@link OpenAI} and {@link OpenAIEmbedding}. */
export interface OpenAIClientOptions {
  /** Default: `process.env.OPENAI_API_KEY`. Not needed when `baseURL` points at a local server. */
  apiKey?: string;
  /** Default: `process.env.OPENAI_BASE_URL`, else OpenAI. Point it at Ollama, vLLM, LM Studio, llama.cpp... */
  baseURL?: string;
  organization?: string;
  project?: string;
  /** Milliseconds to wait for a response, and between two chunks of a stream (default 60 000). */
  timeout?: number;
  /** Retries, with backoff honouring `Retry-After`, for 408/409/429/5xx and connection errors (default 2). */
  maxRetries?: number;
  /** Extra HTTP headers on every request. */
  defaultHeaders?: Record<string, string>;
  /**
   * The `fetch` the SDK sends requests with, e.g. undici's with a proxy dispatcher. Default: for an `http:`
   * `baseURL` (local servers: Ollama, vLLM, llama.cpp...) streamdex's own transport over `node:http`, which gets the first
   * token sooner and serves many concurrent streams faster than Node's fetch; for `https:` Node's built-in fetch.
   */
  fetch?: FetchFunction;
  /**
   * A ready SDK client (custom fetch, proxies, Azure...). Overrides the options above except `timeout`.
   */
  client?: OpenAIClient;
}

/** A configured SDK client and the facts our errors need. */
export interface ResolvedClient {
  client: OpenAIClient;
  /** The key in use, kept only to redact it from provider messages. */
  apiKey: string | undefined;
  baseURL: string;
  timeout: number;
  maxRetries: number;
}

const OPENAI_HOST = "https://api.openai.com/v1";
/** Sent when no key is needed (local servers ignore it); never a real secret. */
const PLACEHOLDER_KEY = "no-key-required";

/**
 * Builds the SDK client. Without a key and with OpenAI's own base URL it throws at once, naming
 * `OPENAI_API_KEY`; with a custom `baseURL` no key is needed.
 */
export function resolveClient(options: OpenAIClientOptions): ResolvedClient {
  const timeout = options.timeout ?? 60_000;
  const maxRetries = options.maxRetries ?? 2;
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new InvalidArgumentError("timeout", `expected milliseconds > 0, got ${String(options.timeout)}.`);
  }
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new InvalidArgumentError(
      "maxRetries",
      `expected an integer >= 0, got ${String(options.maxRetries)}.`,
    );
  }
  if (options.client) {
    return {
      client: options.client,
      apiKey: options.client.apiKey ?? undefined,
      baseURL: options.client.baseURL,
      timeout,
      maxRetries,
    };
  }
  const baseURL = nonEmpty(options.baseURL) ?? nonEmpty(process.env.OPENAI_BASE_URL) ?? OPENAI_HOST;
  try {
    new URL(baseURL);
  } catch {
    throw new InvalidArgumentError(
      "baseURL",
      `"${baseURL}" is not a URL. Use e.g. http://localhost:11434/v1.`,
    );
  }
  const apiKey = nonEmpty(options.apiKey) ?? nonEmpty(process.env.OPENAI_API_KEY);
  if (!apiKey && isOpenAIHost(baseURL)) {
    throw new InvalidArgumentError(
      "apiKey",
      "no OpenAI API key. Set the OPENAI_API_KEY environment variable or pass { apiKey }; for a local " +
        "OpenAI-compatible server (Ollama, vLLM, llama.cpp) pass { baseURL } instead.",
    );
  }
  const client = new OpenAIClient({
    apiKey: apiKey ?? PLACEHOLDER_KEY,
    baseURL,
    organization: options.organization ?? null,
    project: options.project ?? null,
    timeout,
    maxRetries,
    defaultHeaders: options.defaultHeaders,
    logLevel: "off",
    fetch: options.fetch ?? (new URL(baseURL).protocol === "http:" ? sharedHttpFetch() : undefined),
  });
  return { client, apiKey, baseURL, timeout, maxRetries };
}

let httpFetch: FetchFunction | undefined;

/** One transport, so one pool of kept-alive connections, for every client of the process. */
function sharedHttpFetch(): FetchFunction {
  httpFetch ??= createHttpFetch();
  return httpFetch;
}

function isOpenAIHost(baseURL: string): boolean {
  return new URL(baseURL).hostname === "api.openai.com";
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
