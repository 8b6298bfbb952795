import { InvalidArgumentError } from "../../errors/index.js";

/** Options of {@link HuggingFaceInferenceAPI}. */
export interface HuggingFaceInferenceAPIOptions {
  /**
   * A Text Generation Inference server or a Hugging Face Inference Endpoint, e.g. `"http://localhost:8080"` or
   * `"https://xyz.us-east-1.aws.endpoints.huggingface.cloud"`. Without it, `model` is served by the Hugging Face
   * router (Inference Providers), which needs a token.
   */
  endpointUrl?: string;
  /**
   * A Hub model id for the router (`"meta-llama/Llama-3.1-8B-Instruct"`, optionally `":provider"`). With
   * `endpointUrl` it is optional: sent as the Messages API's `model` (TGI reads it as a LoRA adapter id), `"tgi"`
   * when unset.
   */
  model?: string;
  /** Hugging Face access token. Default: `HF_TOKEN` (or `HUGGING_FACE_HUB_TOKEN`). Never appears in errors. */
  token?: string;
  /** Most tokens per answer (`max_new_tokens` / `max_tokens`, default 512; always sent). */
  maxNewTokens?: number;
  /** Sampling temperature; 0 means greedy. Default: the server's. */
  temperature?: number;
  topP?: number;
  /** Stop sequences (TGI allows 4 by default). */
  stop?: string[];
  /**
   * `true`: the Messages API (`/v1/chat/completions`, the model's chat template). `false`: raw text generation
   * (`/generate_stream`), for base models. Default: chat, and with `endpointUrl` falling back to text generation
   * (for good, on this instance) when the server answers the first chat request with 404 (a TGI without the
   * Messages API) or `template_error` (a model without a chat template).
   */
  useChat?: boolean;
  /** Tokens the model attends to (set it to the server's `max_total_tokens`, see `GET /info`). Default 4096. */
  contextWindow?: number;
  /** Milliseconds to wait for the response headers, and between two chunks of a stream (default 60 000). */
  timeout?: number;
  /** Retries of 429 and 503 (overloaded, model loading) before the first token, honouring `Retry-After` (default 2). */
  maxRetries?: number;
  /** Passed through into every request: the chat body, or TGI's `parameters` (e.g. `{ seed: 1, top_k: 10 }`). */
  extraParams?: Record<string, unknown>;
  /** A custom `fetch` (proxies, instrumentation). Default: the global one. */
  fetch?: typeof fetch;
}

/** The options, checked and defaulted. */
export interface ResolvedOptions {
  endpointUrl: string | undefined;
  /** What `metadata.model` shows. */
  model: string;
  /** What the Messages API request carries as `model`. */
  requestModel: string;
  token: string | undefined;
  maxNewTokens: number;
  temperature: number | undefined;
  topP: number | undefined;
  stop: string[];
  useChat: boolean | undefined;
  contextWindow: number;
  timeout: number;
  maxRetries: number;
  extraParams: Record<string, unknown>;
  fetch: typeof fetch;
  /** Where requests go, for messages: the endpoint URL or the router. */
  where: string;
}

/** The Hugging Face router's address, for messages. */
export const HF_ROUTER = "the Hugging Face router (router.huggingface.co)";

/** Checks and defaults the options; throws {@link InvalidArgumentError} naming the option at fault. */
export function resolveOptions(options: HuggingFaceInferenceAPIOptions): ResolvedOptions {
  const endpointUrl = checkUrl(options.endpointUrl);
  const model = nonEmpty(options.model);
  if (options.model !== undefined && model === undefined) {
    throw new InvalidArgumentError(
      "model",
      'expected a Hub model id such as "meta-llama/Llama-3.1-8B-Instruct".',
    );
  }
  const token =
    nonEmpty(options.token) ?? nonEmpty(process.env.HF_TOKEN) ?? nonEmpty(process.env.HUGGING_FACE_HUB_TOKEN);
  if (!endpointUrl) {
    if (!model) {
      throw new InvalidArgumentError(
        "model",
        "pass a Hub model id for the Hugging Face router, or an endpointUrl for a TGI server or Inference Endpoint.",
      );
    }
    if (!token?.startsWith("hf_")) {
      throw new InvalidArgumentError(
        "token",
        "the Hugging Face router needs a Hugging Face access token (hf_...): set HF_TOKEN or pass { token }.",
      );
    }
    if (options.useChat === false) {
      throw new InvalidArgumentError(
        "useChat",
        "raw text generation needs an endpointUrl (TGI's /generate_stream); the router serves chat models.",
      );
    }
  }
  const num = (
    name: keyof HuggingFaceInferenceAPIOptions,
    min: number,
    integer: boolean,
    minExclusive = false,
  ) => {
    const v = options[name];
    if (v === undefined) return undefined;
    const ok =
      typeof v === "number" &&
      Number.isFinite(v) &&
      (minExclusive ? v > min : v >= min) &&
      (!integer || Number.isInteger(v));
    if (!ok) {
      const what = `${integer ? "an integer" : "a number"} ${minExclusive ? ">" : ">="} ${min}`;
      throw new InvalidArgumentError(name, `expected ${what}, got ${String(v)}.`);
    }
    return v as number;
  };
  const topP = num("topP", 0, false, true);
  if (topP !== undefined && topP > 1)
    throw new InvalidArgumentError("topP", `expected a number in (0, 1], got ${topP}.`);
  const stop = options.stop ?? [];
  if (!Array.isArray(stop) || !stop.every((s) => typeof s === "string" && s !== "")) {
    throw new InvalidArgumentError("stop", "expected an array of non-empty strings.");
  }
  return {
    endpointUrl,
    model: model ?? endpointUrl ?? "",
    requestModel: model ?? "tgi",
    token,
    maxNewTokens: num("maxNewTokens", 1, true) ?? 512,
    temperature: num("temperature", 0, false),
    topP,
    stop,
    useChat: options.useChat,
    contextWindow: num("contextWindow", 1, true) ?? 4096,
    timeout: num("timeout", 0, false, true) ?? 60_000,
    maxRetries: num("maxRetries", 0, true) ?? 2,
    extraParams: options.extraParams ?? {},
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    where: endpointUrl ?? HF_ROUTER,
  };
}

function checkUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new InvalidArgumentError(
      "endpointUrl",
      `"${value}" is not an http(s) URL. Use e.g. http://localhost:8080 or your Inference Endpoint's URL.`,
    );
  }
  return value.replace(/\/+$/, "");
}

function nonEmpty(value: string | undefined): string | undefined {
  return typeof value !== "string" || value.trim() === "" ? undefined : value;
}
