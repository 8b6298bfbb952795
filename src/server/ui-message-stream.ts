import type { NodeWithScore } from "../schema/node.js";
import { sourceNumbering, streamParts } from "../streaming/stream-parts.js";
import type { StreamingResponse } from "../streaming/streaming-response.js";

/** Headers of a Vercel AI SDK UI message stream (what `useChat`'s `DefaultChatTransport` reads). */
export const UI_MESSAGE_STREAM_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  "x-vercel-ai-ui-message-stream": "v1",
  "x-accel-buffering": "no",
};

const FINISH_REASONS = new Set(["stop", "length", "content-filter", "tool-calls", "error", "other"]);

/**
 * The answer in the AI SDK UI message stream protocol (v1), one `data: <json>\n\n` event per chunk: `start`,
 * a `source-document` per source, the model's reasoning as `reasoning-start`, `reasoning-delta`s and
 * `reasoning-end` (a new reasoning part each time reasoning resumes after text), `text-start`, one `text-delta`
 * per delta, `text-end`, then `finish` (usage and timings in its `messageMetadata`), or `error` (`errorText`) or `abort`;
 * and `data: [DONE]` last. A citing answer's markers come as `data-citation` chunks right after the `text-delta`
 * that completes each (`{ id, data: { marker, nodeId, start, end } }`, one id per citation; not transient, so they
 * stay in the message's parts, after its text part, in order), and its numbered sources as `source-document`s with
 * their `number` in `providerMetadata.streamdex`. Stopping the iteration cancels the answer. With `started`, the
 * `start` chunk was sent already (before progress chunks) and is not repeated.
 */
export async function* uiMessageStream(
  response: StreamingResponse,
  messageId: string = `msg-${crypto.randomUUID()}`,
  options: { started?: boolean } = {},
): AsyncGenerator<string> {
  const textId = `text-${messageId}`;
  let textOpen = false;
  let reasoningId: string | undefined;
  let reasoningParts = 0;
  let citationCount = 0;
  /** Closes an open reasoning part, and opens the text part if it is not yet (its end is always sent). */
  function* toText(): Generator<string> {
    if (reasoningId !== undefined) yield data({ type: "reasoning-end", id: reasoningId });
    reasoningId = undefined;
    if (!textOpen) yield data({ type: "text-start", id: textId });
    textOpen = true;
  }
  if (!options.started) yield data({ type: "start", messageId });
  for await (const part of streamParts(response)) {
    switch (part.type) {
      case "sources":
        for (const source of part.sourceNodes) yield data(sourceDocument(source));
        break;
      case "reasoning-delta":
        if (reasoningId === undefined) {
          reasoningId = `reasoning-${messageId}-${reasoningParts++}`;
          yield data({ type: "reasoning-start", id: reasoningId });
        }
        yield data({ type: "reasoning-delta", id: reasoningId, delta: part.text });
        break;
      case "text-delta":
        if (!textOpen || reasoningId !== undefined) yield* toText();
        yield data({ type: "text-delta", id: textId, delta: part.text });
        break;
      case "citation": {
        const { marker, nodeId, start, end } = part;
        yield data({
          type: "data-citation",
          id: `citation-${messageId}-${citationCount++}`,
          data: { marker, nodeId, start, end },
        });
        break;
      }
      case "finish": {
        yield* toText();
        yield data({ type: "text-end", id: textId });
        const reason = part.finishReason ?? "stop";
        yield data({
          type: "finish",
          finishReason: FINISH_REASONS.has(reason) ? reason : "other",
          ...(part.usage || part.timings
            ? {
                messageMetadata: {
                  ...(part.usage ? { usage: part.usage } : {}),
                  ...(part.timings ? { timings: part.timings } : {}),
                },
              }
            : {}),
        });
        break;
      }
      case "error":
        yield* toText();
        yield data({ type: "text-end", id: textId });
        yield data({ type: "error", errorText: part.message });
        break;
      case "cancelled":
        yield* toText();
        yield data({ type: "text-end", id: textId });
        yield data({ type: "abort" });
        break;
    }
  }
  yield "data: [DONE]\n\n";
}

/**
 * A source as a `source-document` chunk, titled by its file name (else, for a numbered source, `Source n`, else its
 * id); its score and a snippet ride in `providerMetadata.streamdex`, with a numbered source's `number` (what `[n]`
 * cites) and `originalNodeId`.
 */
function sourceDocument({ node, score }: NodeWithScore) {
  const fileName = typeof node.metadata.file_name === "string" ? node.metadata.file_name : undefined;
  const numbering = sourceNumbering(node);
  return {
    type: "source-document",
    sourceId: node.id,
    mediaType: "text/plain",
    title: fileName ?? (numbering ? `Source ${numbering.number}` : node.id),
    ...(fileName ? { filename: fileName } : {}),
    providerMetadata: {
      streamdex: { score: score ?? null, snippet: node.text.slice(0, 300), ...numbering },
    },
  };
}

function data(chunk: unknown): string {
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** One chunk of the UI message stream, as its `data:` line. */
export const uiMessageChunk: (chunk: unknown) => string = data;

/**
 * A multi-call mode's progress ("refining 2/4") as a transient `data-progress` chunk: `useChat` hands it to its
 * `onData` callback and keeps it out of the message.
 */
export function uiProgressChunk(progress: unknown): string {
  return data({ type: "data-progress", data: progress, transient: true });
}
