import { StreamdexError } from "../errors/index.js";
import type { TokenUsage } from "../llms/types.js";
import type { NodeWithScore } from "../schema/node.js";
import type { StreamingResponse } from "../schema/streaming-response.js";

/** One part of a streamed answer, for transports that carry more than text (SSE, a UI). */
export type StreamPart =
  | { type: "sources"; sourceNodes: NodeWithScore[] }
  | { type: "text-delta"; text: string }
  | { type: "finish"; usage?: TokenUsage; finishReason?: string }
  | { type: "error"; code: string; causeCode?: string; message: string; partialText: string }
  | { type: "cancelled"; partialText: string };

/**
 * The key of {@link StreamingResponse}'s exclusive reader: one that `getResponse()` and `printResponseStream()`
 * never take over while it reads, so a transport never ends early as if the answer were complete.
 * @internal
 */
export const exclusiveDeltas: unique symbol = Symbol("streamdex.exclusiveDeltas");

/**
 * The answer as parts: sources first, then each delta, then `finish` (with usage), `error` or `cancelled`. An
 * error is delivered as a part, not thrown. Stopping the iteration cancels the answer. It reads the response as
 * an exclusive reader: another reader at the same time (also `getResponse()`) gets `StreamConsumedError`.
 */
export async function* streamParts(response: StreamingResponse): AsyncGenerator<StreamPart> {
  yield { type: "sources", sourceNodes: response.sourceNodes };
  try {
    const deltas = { [Symbol.asyncIterator]: () => response[exclusiveDeltas]() };
    for await (const text of deltas) yield { type: "text-delta", text };
  } catch (error) {
    const cause = error instanceof Error ? error.cause : undefined;
    yield {
      type: "error",
      code: error instanceof StreamdexError ? error.code : "internal_error",
      causeCode: cause instanceof StreamdexError ? cause.code : undefined,
      message: error instanceof Error ? error.message : String(error),
      partialText: response.responseTxt,
    };
    return;
  }
  if (response.cancelled) yield { type: "cancelled", partialText: response.responseTxt };
  else yield { type: "finish", usage: response.usage, finishReason: response.finishReason };
}

/** A JSON-friendly view of a source node: id, score, text and metadata (what SSE clients receive). */
export function serializeSource({ node, score }: NodeWithScore) {
  return { id: node.id, score, text: node.text, metadata: node.metadata };
}
