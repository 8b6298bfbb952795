import { StreamdexError } from "../errors/index.js";
import type { TokenUsage } from "../llms/types.js";
import type { NodeWithScore } from "../schema/node.js";
import type { StreamingResponse } from "../schema/streaming-response.js";

/** One part of a streamed answer, for transports that carry more than text (SSE, a UI). */
export type StreamPart =
  | { type: "sources"; sourceNodes: NodeWithScore[] }
  | { type: "text-delta"; text: string }
  | { type: "finish"; usage?: TokenUsage; finishReason?: string }
  | { type: "error"; code: string; message: string; partialText: string };

/**
 * The answer as parts: sources first, then each delta, then `finish` (with usage) or `error`. An error is
 * delivered as a part, not thrown. Stopping the iteration cancels the answer.
 */
export async function* streamParts(response: StreamingResponse): AsyncGenerator<StreamPart> {
  yield { type: "sources", sourceNodes: response.sourceNodes };
  try {
    for await (const text of response) yield { type: "text-delta", text };
  } catch (error) {
    yield {
      type: "error",
      code: error instanceof StreamdexError ? error.code : "internal_error",
      message: error instanceof Error ? error.message : String(error),
      partialText: response.responseTxt,
    };
    return;
  }
  yield { type: "finish", usage: response.usage, finishReason: response.finishReason };
}

/** A JSON-friendly view of a source node: id, score, text and metadata (what SSE clients receive). */
export function serializeSource({ node, score }: NodeWithScore) {
  return { id: node.id, score, text: node.text, metadata: node.metadata };
}
