import { AbortError } from "../../errors/index.js";
import { SSE_HEADERS } from "../../streaming/web-streams.js";
import { hasBearerToken } from "../auth.js";
import { ID_PATTERN } from "../chat-request.js";
import { PREFLIGHT_HEADERS } from "../cors.js";
import { HttpError } from "../http-error.js";
import { BASE_HEADERS, type CoreReply, type CoreRequest, jsonReply } from "../reply.js";
import { UI_MESSAGE_STREAM_HEADERS } from "../ui-message-stream.js";
import { ANSWER_ID_HEADER, ANSWER_ID_PATTERN, type AnswerRegistry, follow } from "./answer-registry.js";
import type { HeldAnswer } from "./held-answer.js";

/** One of the resume routes, matched from a request path. */
export type ResumeRoute =
  | { kind: "answer" | "answer-stop"; answerId: string }
  | { kind: "chat-stream" | "chat-stop"; chatId: string | undefined };

/**
 * Matches `/api/answers/:answerId`, `/api/answers/:answerId/stop`, `/api/chat/:chatId/stream` and
 * `/api/chat/:chatId/stop` (the chat id percent-decoded, as the AI SDK encodes it; `undefined` when it is not a
 * valid chat id).
 */
export function matchResumeRoute(path: string): ResumeRoute | undefined {
  const answer = /^\/api\/answers\/([^/]*)(\/stop)?$/.exec(path);
  if (answer) return { kind: answer[2] ? "answer-stop" : "answer", answerId: answer[1]! };
  const chat = /^\/api\/chat\/([^/]+)\/(stream|stop)$/.exec(path);
  if (!chat) return undefined;
  let chatId: string | undefined;
  try {
    chatId = decodeURIComponent(chat[1]!);
  } catch {
    chatId = undefined;
  }
  return {
    kind: chat[2] === "stream" ? "chat-stream" : "chat-stop",
    chatId: chatId !== undefined && ID_PATTERN.test(chatId) ? chatId : undefined,
  };
}

/** What the resume routes need of the server. */
export interface ResumeContext {
  answers: AnswerRegistry;
  token: string | undefined;
  corsOrigins: string[] | undefined;
  cors: Record<string, string>;
  /** Logs the request once its reply is over. */
  log(status: number, note?: string): void;
}

/**
 * Answers a resume route:
 * - `GET /api/answers/:answerId` (`Last-Event-ID: n`, or none for all): the events after `n`, then the live tail;
 * - `GET /api/chat/:chatId/stream`: the AI SDK's resume, the running answer's UI message stream from its start,
 *   204 when nothing runs;
 * - `POST /api/answers/:answerId/stop`, `POST /api/chat/:chatId/stop`: aborts the answer at once, `{ stopped }`.
 *
 * Same bearer token as the API. Unknown, expired or another process's answer or chat: 404; an answer over its
 * replay cap: 410.
 */
export function resumeRoute(req: CoreRequest, route: ResumeRoute, ctx: ResumeContext): CoreReply {
  const stop = route.kind === "answer-stop" || route.kind === "chat-stop";
  if (req.method === "OPTIONS" && ctx.corsOrigins) {
    if (!ctx.cors["access-control-allow-origin"]) {
      throw new HttpError(403, "origin_not_allowed", "This origin may not call the API.");
    }
    return { status: 204, headers: { ...BASE_HEADERS, ...ctx.cors, ...PREFLIGHT_HEADERS }, body: "" };
  }
  const methods = [stop ? "POST" : "GET", ...(ctx.corsOrigins ? ["OPTIONS"] : [])];
  if (!methods.includes(req.method)) {
    throw new HttpError(
      405,
      "method_not_allowed",
      `Use ${methods.join(" or ")} on ${ROUTE_NAMES[route.kind]}.`,
      {
        allow: methods.join(", "),
      },
    );
  }
  if (ctx.token !== undefined && !hasBearerToken(req.header("authorization"), ctx.token)) {
    throw new HttpError(
      401,
      "unauthorized",
      "Missing or wrong token: send `Authorization: Bearer <token>`.",
      { "www-authenticate": 'Bearer realm="streamdex"' },
    );
  }
  switch (route.kind) {
    case "answer": {
      const answer = findAnswer(ctx.answers, route.answerId);
      requireResumable(answer);
      return replay(req, ctx, answer, lastEventId(req.header("last-event-id"), answer.lastId));
    }
    case "answer-stop": {
      const answer = findAnswer(ctx.answers, route.answerId);
      return jsonReply(200, { stopped: answer.stop(stopped(route.kind)) }, ctx.cors);
    }
    case "chat-stream": {
      const answer = findChat(ctx.answers, route.chatId);
      // Nothing the AI SDK could resume: no answer, one it read to the end, or one in streamdex's SSE format.
      if (!answer?.pending || answer.format !== "ui-message-stream") {
        return {
          status: 204,
          headers: { ...BASE_HEADERS, "cache-control": "no-store", ...ctx.cors },
          body: "",
        };
      }
      requireResumable(answer);
      return replay(req, ctx, answer, 0);
    }
    case "chat-stop": {
      const answer = findChat(ctx.answers, route.chatId);
      return jsonReply(200, { stopped: answer?.stop(stopped(route.kind)) ?? false }, ctx.cors);
    }
  }
}

function findAnswer(answers: AnswerRegistry, answerId: string): HeldAnswer {
  const answer = ANSWER_ID_PATTERN.test(answerId) ? answers.get(answerId) : undefined;
  if (!answer) {
    throw new HttpError(
      404,
      "answer_not_found",
      "No such answer in this server process: unknown, expired (answers are kept a while after they end), or " +
        "answered by another process.",
    );
  }
  return answer;
}

/** The latest answer of a chat of this process (`undefined`: none held); a chat it does not know is a 404. */
function findChat(answers: AnswerRegistry, chatId: string | undefined): HeldAnswer | undefined {
  const chat = chatId === undefined ? undefined : answers.chat(chatId);
  if (!chat?.known) {
    throw new HttpError(
      404,
      "chat_not_found",
      "No such chat in this server process: unknown, forgotten, or answered by another process (route a " +
        "chat's requests to one process).",
    );
  }
  return chat.answer;
}

function requireResumable(answer: HeldAnswer): void {
  if (answer.resumable) return;
  throw new HttpError(
    410,
    "answer_not_resumable",
    "This answer outgrew its replay buffer (maxReplayBytesPerAnswer or maxReplayBytes): it still streams to the " +
      "clients reading it, but cannot be resumed.",
  );
}

const ROUTE_NAMES: Record<ResumeRoute["kind"], string> = {
  answer: "/api/answers/:answerId",
  "answer-stop": "/api/answers/:answerId/stop",
  "chat-stream": "/api/chat/:chatId/stream",
  "chat-stop": "/api/chat/:chatId/stop",
};

function stopped(kind: ResumeRoute["kind"]): AbortError {
  return new AbortError(`Stopped by POST ${ROUTE_NAMES[kind]}.`);
}

/**
 * The `Last-Event-ID` header as the id of the last event the client has: none is 0 (from the start). Throws a 400
 * for one that is not a whole number, or that is ahead of the answer (`lastId`: its last event so far).
 */
export function lastEventId(value: string | undefined, lastId: number): number {
  if (value === undefined) return 0;
  const text = value.trim();
  if (!/^\d{1,15}$/.test(text)) {
    throw new HttpError(
      400,
      "invalid_last_event_id",
      "`Last-Event-ID` must be the id of the last event you received: a whole number (0 for all).",
    );
  }
  const id = Number(text);
  if (id > lastId) {
    throw new HttpError(
      400,
      "last_event_id_ahead",
      `\`Last-Event-ID\` ${id} is ahead of this answer: its last event so far is ${lastId}.`,
    );
  }
  return id;
}

/** A reader of `answer` from after event `afterId`, in the answer's format, logged when it ends. */
function replay(req: CoreRequest, ctx: ResumeContext, answer: HeldAnswer, afterId: number): CoreReply {
  const reader = answer.open(afterId);
  follow(req.signal, reader);
  let count = 0;
  async function* counted(): AsyncGenerator<string> {
    try {
      for await (const event of reader.chunks) {
        count++;
        yield event;
      }
    } finally {
      ctx.log(200, `resume ${count} events after ${afterId}`);
    }
  }
  return {
    status: 200,
    headers: {
      ...BASE_HEADERS,
      ...(answer.format === "sse" ? SSE_HEADERS : UI_MESSAGE_STREAM_HEADERS),
      ...ctx.cors,
      [ANSWER_ID_HEADER]: answer.id,
    },
    stream: { chunks: counted(), cancel: reader.cancel },
  };
}
