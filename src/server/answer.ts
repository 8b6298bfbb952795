import { AsyncLocalStorage } from "node:async_hooks";
import { AbortError, StreamdexError } from "../errors/index.js";
import type { SynthesizeProgressEvent } from "../instrumentation/events.js";
import type { Response } from "../schema/response.js";
import { Settings } from "../settings/settings.js";
import { serializeSource, streamParts } from "../streaming/stream-parts.js";
import { StreamingResponse } from "../streaming/streaming-response.js";
import { formatSSE, SSE_HEADERS } from "../streaming/web-streams.js";
import { toHttpError } from "./http-error.js";
import { BASE_HEADERS, type CoreReply, jsonReply } from "./reply.js";
import { asStreaming, endingWith, streamedBody } from "./streamed-reply.js";
import {
  UI_MESSAGE_STREAM_HEADERS,
  uiMessageChunk,
  uiMessageStream,
  uiProgressChunk,
} from "./ui-message-stream.js";

/** The wire format of a streamed answer. */
export type StreamFormat = "sse" | "ui-message-stream";

/** What {@link answer} needs. */
export interface AnswerContext {
  /** Starts the answer (a query or a chat message); `signal` aborts when the client goes away. */
  run(signal: AbortSignal): Promise<StreamingResponse | Response>;
  format: StreamFormat;
  /** `false`: answer one JSON object. */
  stream: boolean;
  /** The client asked for citations: the JSON answer has `citations` (the stream has them as it goes, always). */
  citations?: boolean;
  /** Aborts when the client goes away; passed to `run`. */
  signal: AbortSignal;
  headers: Record<string, string>;
  /** Extra fields of the JSON answer (e.g. `conversationId`). */
  json?: Record<string, unknown>;
  /** Called once when the answer is over (sent, failed or cancelled), with a note for the log. */
  onEnd(note: string): void;
}

/**
 * Runs the answer and turns its result into a reply: a JSON body for `stream: false`, else an event stream
 * in `format`. Rejects with the engine's error when it fails before the answer starts (the caller maps it to
 * a status). Once it resolves to a stream, `onEnd` runs when the stream ends or is cancelled.
 */
export async function answer(ctx: AnswerContext): Promise<CoreReply> {
  if (ctx.stream) return answerWithProgress(ctx);
  return reply(ctx, await ctx.run(ctx.signal));
}

/** The reply for an answer that has started (or, not streamed, finished). */
async function reply(ctx: AnswerContext, result: StreamingResponse | Response): Promise<CoreReply> {
  if (!ctx.stream) {
    const response = result instanceof StreamingResponse ? await result.getResponse() : result;
    ctx.onEnd("json");
    return jsonReply(
      200,
      {
        response: response.response,
        reasoning: response.reasoning,
        sourceNodes: response.sourceNodes.map(serializeSource),
        usage: response.usage ?? null,
        ...(ctx.citations ? { citations: response.citations } : {}),
        ...ctx.json,
      },
      ctx.headers,
    );
  }
  return {
    status: 200,
    headers: streamHeaders(ctx),
    stream: streamedBody(
      asStreaming(result),
      (streaming) => (ctx.format === "sse" ? sseEvents(streaming) : uiMessageStream(streaming)),
      ctx.onEnd,
    ),
  };
}

function streamHeaders(ctx: AnswerContext): Record<string, string> {
  return {
    ...BASE_HEADERS,
    ...(ctx.format === "sse" ? SSE_HEADERS : UI_MESSAGE_STREAM_HEADERS),
    ...ctx.headers,
  };
}

type Settled = { result: StreamingResponse | Response } | { error: unknown };

/** Tells the `synthesize-progress` events of one request's answer from those of the others running. */
const progressScope = new AsyncLocalStorage<object>();

/**
 * A streamed answer that reports the progress of a multi-call response mode (`refine`, `compact` over several
 * packs, `tree_summarize`) while its earlier calls run: `progress` events in SSE, transient `data-progress` chunks
 * in the UI message stream (which `useChat` hands to `onData`). The reply waits, as without progress,
 * until the answer starts, except once the first earlier call has succeeded: the stream then starts at once
 * (status 200) with the progress so far, and the rest of the answer follows when it starts, or an `error` event if
 * it fails. So a failure of the first call (a provider that is down, a bad key) is still an error status.
 */
async function answerWithProgress(ctx: AnswerContext): Promise<CoreReply> {
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  const pending: SynthesizeProgressEvent[] = [];
  let wake: (() => void) | undefined;
  let commit: (() => void) | undefined;
  const committed = new Promise<"committed">((resolve) => {
    commit = () => resolve("committed");
  });
  const scope = {};
  const off = Settings.events.on("synthesize-progress", (event) => {
    if (progressScope.getStore() !== scope) return;
    pending.push(event);
    if (event.phase === "end") commit?.();
    wake?.();
  });
  const running = progressScope.run(scope, () => ctx.run(signal));
  const settled: Promise<Settled> = running.then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  let done: Settled | undefined;
  void settled.then((s) => {
    done = s;
    wake?.();
  });
  const first = await Promise.race([settled, committed]);
  if (first !== "committed") {
    off();
    if ("error" in first) throw first.error;
    return reply(ctx, first.result);
  }

  let streaming: StreamingResponse | undefined;
  let outcome = "done";
  let ended = false;
  const end = () => {
    off();
    if (ended) return;
    ended = true;
    ctx.onEnd(`stream ${outcome} ${streaming?.deltaCount ?? 0} deltas`);
  };
  const ui = ctx.format === "ui-message-stream";
  const messageId = `msg-${crypto.randomUUID()}`;
  async function* events(): AsyncGenerator<string> {
    if (ui) yield uiMessageChunk({ type: "start", messageId });
    // The progress as it comes, until the answer starts or fails.
    while (true) {
      while (pending.length > 0) {
        const event = pending.shift()!;
        yield ui ? uiProgressChunk(progressData(event)) : progressSSE(event);
      }
      if (done) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    off();
    if ("error" in done) {
      if (signal.aborted) {
        outcome = "cancelled";
        yield ui ? uiMessageChunk({ type: "abort" }) : formatSSE({ type: "cancelled", partialText: "" });
        if (ui) yield UI_DONE;
        return;
      }
      const error = toHttpError(done.error);
      outcome = `error ${error.code}`;
      if (ui) {
        yield uiMessageChunk({ type: "error", errorText: error.message });
        yield UI_DONE;
        return;
      }
      const cause = (done.error as { cause?: unknown } | undefined)?.cause;
      yield formatSSE({
        type: "error",
        code: error.code,
        causeCode: cause instanceof StreamdexError ? cause.code : undefined,
        message: error.message,
        partialText: "",
      });
      return;
    }
    streaming = asStreaming(done.result);
    streaming.observe({
      onError: (error) => {
        outcome = `error ${error instanceof StreamdexError ? error.code : "internal_error"}`;
      },
      onCancel: () => {
        outcome = "cancelled";
      },
    });
    if (stop.signal.aborted) {
      await streaming.cancel();
      return;
    }
    yield* ui ? uiMessageStream(streaming, messageId, { started: true }) : sseEvents(streaming);
  }
  return {
    status: 200,
    headers: streamHeaders(ctx),
    stream: {
      chunks: endingWith(events(), end),
      cancel: async () => {
        stop.abort(new AbortError("The client went away."));
        if (streaming) await streaming.cancel();
        else {
          outcome = "cancelled";
          const s = await settled;
          if ("result" in s && s.result instanceof StreamingResponse) await s.result.cancel();
        }
        end();
      },
    },
  };
}

const UI_DONE = "data: [DONE]\n\n";

/** The fields of a `synthesize-progress` event a client sees (its query id left out). */
function progressData(event: SynthesizeProgressEvent) {
  const { mode, step, total, level, done, phase, final } = event;
  return { mode, step, total, level: level ?? null, done, phase, final };
}

/** A `progress` event. */
function progressSSE(event: SynthesizeProgressEvent): string {
  return `event: progress\ndata: ${JSON.stringify(progressData(event))}\n\n`;
}

async function* sseEvents(response: StreamingResponse): AsyncGenerator<string> {
  for await (const part of streamParts(response)) yield formatSSE(part);
}
