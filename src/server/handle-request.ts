import { type AnswerContext, answer } from "./answer.js";
import { hasBearerToken } from "./auth.js";
import { parseChatBody } from "./chat-request.js";
import { corsHeaders, PREFLIGHT_HEADERS } from "./cors.js";
import { HttpError, toHttpError } from "./http-error.js";
import { type ResolvedOptions, resolveOptions, type ServerOptions } from "./options.js";
import { PAGE_CSP, PAGE_HTML } from "./page/page.js";
import { parseQueryBody } from "./query-request.js";
import { BASE_HEADERS, type CoreReply, type CoreRequest, errorReply, jsonReply } from "./reply.js";
import { StreamSlots } from "./stream-slots.js";

/** The API routes and the wire format each streams. */
const API_ROUTES: Readonly<Record<string, AnswerContext["format"]>> = {
  "/api/query": "sse",
  "/api/chat": "ui-message-stream",
};

/**
 * The routing, validation and answering shared by the Node and fetch handlers: takes a request in a
 * server-neutral shape, returns the reply. Never throws: every failure becomes a JSON error reply.
 */
export function createHandlerCore(options: ServerOptions): (request: CoreRequest) => Promise<CoreReply> {
  const opts = resolveOptions(options);
  const slots = new StreamSlots(opts.maxConcurrentStreams);
  return async (req) => {
    const started = performance.now();
    const log = (status: number, note = "") => {
      const ms = Math.round(performance.now() - started);
      opts.logger?.(`${req.method} ${printable(req.path)} ${status} ${ms}ms${note ? ` ${note}` : ""}`);
    };
    const cors = corsHeaders(opts.corsOrigins, req.header("origin"));
    let reply: CoreReply;
    try {
      reply = await route(req, opts, slots, cors, log);
    } catch (error) {
      const httpError = toHttpError(error);
      reply = errorReply(httpError, cors);
      log(reply.status, httpError.code);
      return reply;
    }
    if (!("stream" in reply)) log(reply.status);
    return reply;
  };
}

async function route(
  req: CoreRequest,
  opts: ResolvedOptions,
  slots: StreamSlots,
  cors: Record<string, string>,
  log: (status: number, note?: string) => void,
): Promise<CoreReply> {
  const format = API_ROUTES[req.path];
  if (format === undefined) {
    if (req.path === "/") {
      allowMethods(req, ["GET", "HEAD"]);
      return {
        status: 200,
        headers: {
          ...BASE_HEADERS,
          "content-type": "text/html; charset=utf-8",
          "content-security-policy": PAGE_CSP,
          "cache-control": "no-cache",
        },
        body: PAGE_HTML,
      };
    }
    if (req.path === "/healthz") {
      allowMethods(req, ["GET", "HEAD"]);
      return jsonReply(200, { ok: true }, cors);
    }
    throw new HttpError(
      404,
      "not_found",
      "No such route. Routes: GET /, GET /healthz, POST /api/query, POST /api/chat.",
    );
  }

  if (req.method === "OPTIONS" && opts.corsOrigins) {
    if (!cors["access-control-allow-origin"]) {
      throw new HttpError(403, "origin_not_allowed", "This origin may not call the API.");
    }
    return { status: 204, headers: { ...BASE_HEADERS, ...cors, ...PREFLIGHT_HEADERS }, body: "" };
  }
  allowMethods(req, opts.corsOrigins ? ["POST", "OPTIONS"] : ["POST"]);
  if (opts.token !== undefined && !hasBearerToken(req.header("authorization"), opts.token)) {
    throw new HttpError(
      401,
      "unauthorized",
      "Missing or wrong token: send `Authorization: Bearer <token>`.",
      { "www-authenticate": 'Bearer realm="streamdex"' },
    );
  }
  const mediaType = (req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "application/json") {
    throw new HttpError(
      415,
      "unsupported_media_type",
      "Send the body as JSON (`content-type: application/json`).",
    );
  }
  const body = parseJson(await req.readBody(opts.maxBodyBytes));
  const request = format === "sse" ? parseQueryBody(body, opts) : parseChatBody(body, opts);

  const release = slots.tryAcquire();
  if (!release) {
    throw new HttpError(
      503,
      "too_many_streams",
      `The server is answering ${slots.limit} questions already; retry in a moment.`,
      { "retry-after": "1" },
    );
  }
  try {
    const runner = opts.createEngine({ topK: request.topK, mode: request.mode, streaming: request.stream });
    const reply = await answer(request, {
      runner,
      format,
      signal: req.signal,
      headers: cors,
      onEnd: (note) => {
        release();
        if (note !== "json") log(200, note);
      },
    });
    // A client that leaves before the stream is read still frees its slot and stops the provider.
    if ("stream" in reply) {
      const { stream } = reply;
      if (req.signal.aborted) await stream.cancel();
      else req.signal.addEventListener("abort", () => void stream.cancel(), { once: true });
    }
    return reply;
  } catch (error) {
    release();
    throw error;
  }
}

function allowMethods(req: CoreRequest, methods: string[]): void {
  if (!methods.includes(req.method)) {
    throw new HttpError(405, "method_not_allowed", `Use ${methods.join(" or ")} on ${req.path}.`, {
      allow: methods.join(", "),
    });
  }
}

function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "invalid_encoding", "The body is not valid UTF-8.");
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid_json", "The body is not valid JSON.");
  }
}

/** A path safe to log: printable ASCII only, at most 200 characters. */
function printable(path: string): string {
  const clean = path.replace(/[^\x21-\x7e]/g, "?");
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}
