import { onAbort } from "../utils/abort.js";
import { type AnswerContext, answer } from "./answer.js";
import { hasBearerToken } from "./auth.js";
import { type ChatRequest, parseChatBody } from "./chat-request.js";
import { endChat, openChat } from "./chat-sessions.js";
import { corsHeaders, PREFLIGHT_HEADERS } from "./cors.js";
import { HttpError, toHttpError } from "./http-error.js";
import { createOpenAIRoute, isOpenAIPath, type OpenAIRoute } from "./openai/route.js";
import { type ResolvedOptions, resolveOptions, type ServerOptions } from "./options.js";
import { PAGE_CSP, PAGE_HTML } from "./page/page.js";
import { parseQueryBody } from "./query-request.js";
import { BASE_HEADERS, type CoreReply, type CoreRequest, errorReply, jsonReply } from "./reply.js";
import { AnswerRegistry } from "./resume/answer-registry.js";
import { matchResumeRoute, resumeRoute } from "./resume/resume-routes.js";
import { StreamSlots } from "./stream-slots.js";

/** The API routes. */
const API_ROUTES: ReadonlySet<string> = new Set(["/api/query", "/api/chat"]);

/** The response header naming a chat's conversation (also for a conversation the server made up). */
export const CONVERSATION_ID_HEADER = "x-conversation-id";

/** What one request's answer needs from the server. */
interface Shared {
  opts: ResolvedOptions;
  slots: StreamSlots;
  /** The OpenAI-compatible API (`/v1/...`), unless turned off. */
  openai?: OpenAIRoute;
  /** Streamed answers held for resuming. */
  answers: AnswerRegistry;
}

/** What a route prepares for {@link answer}; `finish` runs once when the answer is over (or failed to start). */
type Prepared = Omit<AnswerContext, "signal" | "onEnd"> & { finish?: () => void };

/**
 * The routing, validation and answering shared by the Node and fetch handlers: takes a request in a
 * server-neutral shape, returns the reply. Never throws: every failure becomes a JSON error reply.
 */
export function createHandlerCore(options: ServerOptions): (request: CoreRequest) => Promise<CoreReply> {
  const opts = resolveOptions(options);
  const shared: Shared = {
    opts,
    slots: new StreamSlots(opts.maxConcurrentStreams),
    answers: new AnswerRegistry(opts, opts.maxConversations),
  };
  shared.openai = createOpenAIRoute(options.openai, shared);
  return async (req) => {
    const started = performance.now();
    const log = (status: number, note = "") => {
      const ms = Math.round(performance.now() - started);
      opts.logger?.(`${req.method} ${printable(req.path)} ${status} ${ms}ms${note ? ` ${note}` : ""}`);
    };
    const cors = corsHeaders(opts.corsOrigins, req.header("origin"));
    let reply: CoreReply;
    try {
      reply = await route(req, shared, cors, log);
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
  shared: Shared,
  cors: Record<string, string>,
  log: (status: number, note?: string) => void,
): Promise<CoreReply> {
  const { opts } = shared;
  if (shared.openai && isOpenAIPath(req.path)) return shared.openai(req, cors, log);
  const resume = matchResumeRoute(req.path);
  if (resume) return resumeRoute(req, resume, { ...opts, answers: shared.answers, cors, log });
  if (!API_ROUTES.has(req.path)) {
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
      "No such route. Routes: GET /, GET /healthz, POST /api/query, POST /api/chat, GET /api/answers/:answerId, " +
        "GET /api/chat/:chatId/stream, POST /api/chat/:chatId/stop, POST /api/answers/:answerId/stop, " +
        "POST /v1/chat/completions, GET /v1/models.",
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
  if (req.path === "/api/chat" && !opts.createChatEngine) {
    throw new HttpError(
      501,
      "chat_not_configured",
      "This server has no chat engine: start it with createChatEngine to use /api/chat.",
    );
  }
  const body = parseJson(await req.readBody(opts.maxBodyBytes));
  if (req.path === "/api/query") {
    const request = parseQueryBody(body, opts);
    return withSlot(req, shared, log, () => {
      const runner = opts.createEngine({
        topK: request.topK,
        mode: request.mode,
        streaming: request.stream,
        citations: request.citations,
      });
      return {
        run: (signal) => runner.query(request.query, { signal }),
        format: "sse",
        stream: request.stream,
        citations: request.citations,
        headers: cors,
      };
    });
  }
  const request = parseChatBody(body, opts);
  return withSlot(req, shared, log, () => chatAnswer(request, shared, cors), request.conversationId);
}

/**
 * The answer to a chat message. The server's memory of a conversation (in its `chatStore`) is the truth: the
 * history a client sends (the AI SDK sends every message) is only used to seed a conversation the store does not
 * know (new, evicted, expired, or from before a restart).
 */
async function chatAnswer(
  request: ChatRequest,
  shared: Shared,
  cors: Record<string, string>,
): Promise<Prepared> {
  const { opts } = shared;
  const runner = opts.createChatEngine!({
    topK: request.topK,
    mode: request.mode,
    chatMode: request.chatMode,
    streaming: request.stream,
    citations: request.citations,
  });
  const session = await openChat(opts.chatStore, request);
  const { memory, created } = session;
  if (!created && request.regenerate && !memory.busy) {
    // The client dropped the last answer to ask again: forget that exchange instead of repeating the question.
    const all = memory.getAll();
    const [user, assistant] = all.slice(-2);
    if (user?.role === "user" && user.content === request.message && assistant?.role === "assistant") {
      memory.set(all.slice(0, -2));
    }
  }
  return {
    run: (signal) => runner.chat(request.message, { signal, memory }),
    format: request.format,
    stream: request.stream,
    citations: request.citations,
    headers: { ...cors, [CONVERSATION_ID_HEADER]: request.conversationId },
    json: { conversationId: request.conversationId },
    finish: () => endChat(session, opts.logger),
  };
}

/**
 * Runs an answer in one of the server's stream slots (503 when all are taken). A streamed answer is held for
 * resuming (`chatId`: the chat it answers): its client going away detaches it, and it is aborted when nobody
 * resumes it within `resumeWindowMs`; a client that leaves before the answer starts aborts it at once.
 */
async function withSlot(
  req: CoreRequest,
  shared: Shared,
  log: (status: number, note?: string) => void,
  prepare: () => Prepared | Promise<Prepared>,
  chatId?: string,
): Promise<CoreReply> {
  const { slots } = shared;
  const release = slots.tryAcquire();
  if (!release) {
    throw new HttpError(
      503,
      "too_many_streams",
      `The server is answering ${slots.limit} questions already; retry in a moment.`,
      { "retry-after": "1" },
    );
  }
  let onFinish: (() => void) | undefined;
  const finish = () => {
    const f = onFinish;
    onFinish = undefined;
    f?.();
  };
  // The answer's own signal: the client aborts it until the stream is held, then a stop, the window or shutdown.
  const life = new AbortController();
  const offClient = onAbort(req.signal, (reason) => life.abort(reason));
  try {
    if (chatId !== undefined) shared.answers.noteChat(chatId);
    const { finish: f, ...prepared } = await prepare();
    onFinish = f;
    const reply = await answer({
      ...prepared,
      signal: life.signal,
      onEnd: (note) => {
        release();
        finish();
        if (note !== "json") log(200, note);
      },
    });
    if (!("stream" in reply)) return reply;
    offClient();
    return shared.answers.hold(reply, {
      format: prepared.format,
      chatId,
      abort: (reason) => life.abort(reason),
      signal: req.signal,
    });
  } catch (error) {
    release();
    finish();
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
