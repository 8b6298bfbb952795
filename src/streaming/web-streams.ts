import { type StreamPart, serializeSource, streamParts } from "./stream-parts.js";
import type { StreamingResponse } from "./streaming-response.js";

/**
 * A pull-based Web `ReadableStream` over any async iterable: nothing is read until the reader asks, and
 * cancelling the stream runs `onCancel` (e.g. `response.cancel()`, which aborts the provider at once even while a
 * read is pending) and then the iterator's `return()`.
 */
export function iterableToReadableStream<T>(
  iterable: AsyncIterable<T>,
  onCancel?: () => Promise<void>,
): ReadableStream<T> {
  let iterator: AsyncIterator<T> | undefined;
  return new ReadableStream<T>(
    {
      async pull(controller) {
        iterator ??= iterable[Symbol.asyncIterator]();
        const { done, value } = await iterator.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel() {
        await onCancel?.();
        await iterator?.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/** Formats one {@link StreamPart} as a server-sent event (`event:` + one `data:` line of JSON). */
export function formatSSE(part: StreamPart): string {
  switch (part.type) {
    case "sources":
      return sse("sources", { sourceNodes: part.sourceNodes.map(serializeSource) });
    case "reasoning-delta":
      return sse("reasoning", { text: part.text });
    case "text-delta":
      return sse("delta", { text: part.text });
    case "citation":
      return sse("citation", { marker: part.marker, nodeId: part.nodeId, start: part.start, end: part.end });
    case "finish":
      return (
        (part.usage ? sse("usage", part.usage) : "") +
        sse("done", {
          finishReason: part.finishReason ?? null,
          ...(part.timings ? { timings: part.timings } : {}),
        })
      );
    case "error":
      return sse("error", {
        code: part.code,
        causeCode: part.causeCode ?? null,
        message: part.message,
        partialText: part.partialText,
      });
    case "cancelled":
      return sse("cancelled", { partialText: part.partialText });
  }
}

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Headers of a `text/event-stream` answer (no caching, no proxy buffering). */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
};

/**
 * The answer as a byte stream of server-sent events: sources, reasoning and deltas, usage, done (or error, or
 * cancelled).
 */
export function toEventStream(response: StreamingResponse): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return iterableToReadableStream(
    mapAsync(streamParts(response), (part) => encoder.encode(formatSSE(part))),
    () => response.cancel(),
  );
}

async function* mapAsync<T, R>(source: AsyncGenerator<T>, fn: (value: T) => R): AsyncGenerator<R> {
  for await (const value of source) yield fn(value);
}
