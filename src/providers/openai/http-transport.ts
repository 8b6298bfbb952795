// Measured win on the whole job (../shared/bench, h-openai-before-tc vs h-openai-no-http-tc): ttft p50 0.95x vs 1.07x raw-rag, concurrency wall 0.72x vs 0.82x; none on ingest.
import { Agent, type IncomingMessage, request } from "node:http";
import { onAbort } from "../../utils/abort.js";
import { isRedirect, redirectedRequest } from "./http-redirect.js";
import { type ResponseBody, responseBody } from "./http-response-body.js";

/** A `fetch`-compatible function: the shape of the OpenAI SDK's `fetch` option and of `globalThis.fetch`. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Options of {@link createHttpFetch}. */
export interface HttpFetchOptions {
  /** The connection pool. Default: a keep-alive agent of this fetch's own (idle sockets do not hold the process). */
  agent?: Agent;
  /** What serves the requests this transport leaves alone (see {@link createHttpFetch}). Default: `globalThis.fetch`. */
  fallback?: FetchFunction;
}

/**
 * A `fetch` over `node:http` for plain-`http:` servers (Ollama, vLLM, llama.cpp's server, TEI, tests). It starts
 * and streams a response with less per-request overhead than Node's built-in fetch (undici), which shows in time to
 * first token and under many concurrent streams; `globalThis.fetch` is the reference its tests compare it with.
 *
 * Why not `node-fetch` 3.3.2, the maintained fetch over `node:http`: on 20 requests of 1.7 MB JSON out and 4.1 MB
 * back it is about as cheap as this transport (median CPU ~300 ms against ~270 ms, undici ~570 ms), but it is not
 * a fetch the SDK and our error mapping take as they are: its bodies are Node streams (a non-null empty one even
 * for 204/304), an abort rejects with its own `AbortError` class rather than a `DOMException`, and a connection
 * lost mid-body is an `Error("Premature close")` that three of our dropped-connection tests get back untyped.
 * Adapting all that would cost about as much code as this file, on top of six packages (three of them polyfills).
 *
 * It does what fetch does for string, `ArrayBuffer` and typed-array bodies: streamed bodies with backpressure,
 * `content-encoding` gzip/deflate/br decoded (`accept-encoding` sent unless set), redirects followed (at most 20;
 * `redirect: "manual" | "error"` honoured; credentials dropped across origins), aborts rejecting with the signal's
 * reason (an `AbortError` `DOMException`) or erroring the body, connection failures as `TypeError("fetch failed")`
 * with the cause, a body cut short as `TypeError("terminated")`, keep-alive connections. Everything else goes to
 * `fallback` unchanged: `https:` URLs, `Request` objects, other bodies (`FormData`, `Blob`, streams), an undici
 * `dispatcher` option.
 */
export function createHttpFetch(options: HttpFetchOptions = {}): FetchFunction {
  const agent = options.agent ?? new Agent({ keepAlive: true, scheduling: "lifo", timeout: 4_000 });
  const fallback = options.fallback ?? ((input, init) => globalThis.fetch(input, init));

  const send = (plan: Plan, redirects: number): Promise<Response> =>
    new Promise((resolve, reject) => {
      const { url, signal } = plan;
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const req = request({
        hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: url.port || 80,
        path: url.pathname + url.search,
        method: plan.method,
        headers: outgoingHeaders(plan),
        agent,
      });
      let body: ResponseBody | undefined;
      const detach = onAbort(signal, () => {
        const reason = abortReason(signal as AbortSignal);
        if (body) {
          body.abort(reason);
          return;
        }
        req.destroy();
        reject(reason);
      });
      // After the response, a lost connection is reported by the body (its stream errors).
      req.on("error", (error) => {
        if (body) return;
        detach();
        reject(signal?.aborted ? abortReason(signal) : new TypeError("fetch failed", { cause: error }));
      });
      req.on("response", (res) => {
        try {
          const status = res.statusCode ?? 0;
          const location = res.headers.location;
          if (plan.redirect !== "manual" && isRedirect(status, location)) {
            res.resume(); // drained, the connection goes back to the pool
            detach();
            resolve(follow(plan, redirects, status, location));
            return;
          }
          const headers = responseHeaders(res);
          const init = { status, statusText: res.statusMessage ?? "", headers };
          if (status < 200 || status > 599) throw new RangeError(`status ${status}`);
          if (plan.method === "HEAD" || NULL_BODY_STATUSES.has(status)) {
            res.resume();
            detach();
            resolve(withUrl(new Response(null, init), url, redirects));
            return;
          }
          body = responseBody(res, detach);
          resolve(withUrl(new Response(body.stream, init), url, redirects));
        } catch (error) {
          res.destroy();
          detach();
          reject(error instanceof TypeError ? error : new TypeError("fetch failed", { cause: error }));
        }
      });
      req.end(plan.body);
    });

  /** The next hop of a redirect: on this transport for `http:`, on the fallback for `https:`. */
  const follow = async (
    plan: Plan,
    redirects: number,
    status: number,
    location: string,
  ): Promise<Response> => {
    if (plan.redirect === "error") {
      throw new TypeError("fetch failed", { cause: new Error(`unexpected redirect (${status})`) });
    }
    if (redirects >= MAX_REDIRECTS) {
      throw new TypeError("fetch failed", { cause: new Error("redirect count exceeded") });
    }
    const next = redirectedRequest(plan.url, status, location, plan.method, plan.headers);
    const nextPlan: Plan = {
      ...plan,
      url: next.url,
      method: next.method,
      headers: next.headers,
      body: next.keepBody ? plan.body : undefined,
    };
    if (next.url.protocol === "http:") return send(nextPlan, redirects + 1);
    const response = await fallback(next.url, {
      ...plan.init,
      method: nextPlan.method,
      headers: nextPlan.headers,
      body: nextPlan.body ?? null,
    });
    return withUrl(response, undefined, redirects + 1);
  };

  return async (input, init = {}) => {
    const plan = planOf(input, init);
    return plan ? send(plan, 0) : fallback(input, init);
  };
}

/** At most this many redirects, as fetch. */
const MAX_REDIRECTS = 20;

/** Statuses whose responses have no body. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** Methods fetch upper-cases; others are sent as given. */
const NORMALIZED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

/** One request as this transport sends it. */
interface Plan {
  url: URL;
  method: string;
  headers: Headers;
  /** A string is written as is: encoding it while writing costs less than a `Buffer` copy of it first. */
  body: string | Buffer<ArrayBuffer> | undefined;
  signal: AbortSignal | undefined;
  redirect: RequestRedirect;
  init: RequestInit;
}

/** The request, if this transport serves it; `undefined` sends it to the fallback unchanged. */
function planOf(input: string | URL | Request, init: RequestInit): Plan | undefined {
  if (typeof input !== "string" && !(input instanceof URL)) return undefined;
  if ("dispatcher" in init) return undefined; // an undici option: the caller wants undici
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return undefined; // fetch's own error
  }
  if (url.protocol !== "http:" || url.username !== "" || url.password !== "") return undefined;
  const given = init.method ?? "GET";
  const method = NORMALIZED_METHODS.has(given.toUpperCase()) ? given.toUpperCase() : given;
  const body = bodyOf(init.body);
  if (body === false) return undefined;
  // Bodies on GET/HEAD, and forbidden methods, are errors that fetch itself reports.
  if (body !== undefined && (method === "GET" || method === "HEAD")) return undefined;
  if (/^(connect|trace|track)$/i.test(method)) return undefined;
  url.hash = "";
  return {
    url,
    method,
    headers: new Headers(init.headers),
    body,
    signal: init.signal ?? undefined,
    redirect: init.redirect ?? "follow",
    init,
  };
}

/** A string body, or a copy of an `ArrayBuffer` or typed-array one; `undefined` for none, `false` for another kind. */
function bodyOf(body: RequestInit["body"]): string | Buffer<ArrayBuffer> | undefined | false {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return body;
  if (body instanceof ArrayBuffer) return Buffer.from(new Uint8Array(body));
  if (ArrayBuffer.isView(body))
    return Buffer.from(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
  return false;
}

/** The caller's headers plus what fetch adds when they are missing. */
function outgoingHeaders(plan: Plan): Record<string, string> {
  const out: Record<string, string> = {};
  plan.headers.forEach((value, name) => {
    out[name] = value;
  });
  out.accept ??= "*/*";
  out["accept-encoding"] ??= "gzip, deflate, br";
  out["user-agent"] ??= "node";
  if (plan.body !== undefined) {
    const text = typeof plan.body === "string";
    out["content-length"] = String(text ? Buffer.byteLength(plan.body) : plan.body.length);
    if (text) out["content-type"] ??= "text/plain;charset=UTF-8";
  } else if (plan.method === "POST" || plan.method === "PUT") {
    out["content-length"] = "0";
  } else {
    delete out["content-length"];
  }
  return out;
}

/** The response's headers, repeated ones included, in the order received. */
function responseHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return headers;
}

/** Sets `url` (when given) and `redirected` on a response, as fetch reports them. */
function withUrl(response: Response, url: URL | undefined, redirects: number): Response {
  if (url) Object.defineProperty(response, "url", { value: url.href });
  if (redirects > 0) Object.defineProperty(response, "redirected", { value: true });
  return response;
}

/** What fetch rejects with on abort: the signal's reason, or an `AbortError`. */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}
