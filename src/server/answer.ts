import { StreamdexError } from "../errors/index.js";
import type { Response } from "../schema/response.js";
import { StreamingResponse } from "../schema/streaming-response.js";
import { serializeSource, streamParts } from "../streaming/stream-parts.js";
import { formatSSE, SSE_HEADERS } from "../streaming/web-streams.js";
import { BASE_HEADERS, type CoreReply, jsonReply } from "./reply.js";
import { UI_MESSAGE_STREAM_HEADERS, uiMessageStream } from "./ui-message-stream.js";

/** The wire format of a streamed answer. */
export type StreamFormat = "sse" | "ui-message-stream";

/** What {@link answer} needs. */
export interface AnswerContext {
  /** Starts the answer (a query or a chat message); `signal` aborts when the client goes away. */
  run(signal: AbortSignal): Promise<StreamingResponse | Response>;
  format: StreamFormat;
  /** `false`: answer one JSON object. */
  stream: boolean;
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
  const result = await ctx.run(ctx.signal);
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
        ...ctx.json,
      },
      ctx.headers,
    );
  }
  const streaming = result instanceof StreamingResponse ? result : asStreaming(result);
  let outcome = "done";
  streaming.observe({
    onError: (error) => {
      outcome = `error ${error instanceof StreamdexError ? error.code : "internal_error"}`;
    },
    onCancel: () => {
      outcome = "cancelled";
    },
  });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    ctx.onEnd(`stream ${outcome} ${streaming.deltaCount} deltas`);
  };
  const chunks = ctx.format === "sse" ? sseEvents(streaming) : uiMessageStream(streaming);
  return {
    status: 200,
    headers: {
      ...BASE_HEADERS,
      ...(ctx.format === "sse" ? SSE_HEADERS : UI_MESSAGE_STREAM_HEADERS),
      ...ctx.headers,
    },
    stream: {
      chunks: endingWith(chunks, end),
      cancel: async () => {
        await streaming.cancel();
        end();
      },
    },
  };
}

/** A finished answer from an engine that does not stream, as a one-chunk stream. */
function asStreaming(response: Response): StreamingResponse {
  return new StreamingResponse({
    text: response.response,
    sourceNodes: response.sourceNodes,
    metadata: response.metadata,
    priorUsage: response.usage,
  });
}

async function* sseEvents(response: StreamingResponse): AsyncGenerator<string> {
  for await (const part of streamParts(response)) yield formatSSE(part);
}

async function* endingWith<T>(source: AsyncGenerator<T>, onEnd: () => void): AsyncGenerator<T> {
  try {
    yield* source;
  } finally {
    onEnd();
  }
}
