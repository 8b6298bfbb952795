import { CitationSource } from "../citations/numbered-sources.js";
import { StreamdexError } from "../errors/index.js";
import type { TokenUsage } from "../llms/types.js";
import type { NodeWithScore, TextNode } from "../schema/node.js";
import type { QueryTimings } from "../schema/timings.js";
import { answerParts, type CitationPart } from "./answer-part.js";
import type { StreamingResponse } from "./streaming-response.js";

/** One part of a streamed answer, for transports that carry more than text (SSE, a UI). */
export type StreamPart =
  | { type: "sources"; sourceNodes: NodeWithScore[] }
  | { type: "reasoning-delta"; text: string }
  | { type: "text-delta"; text: string }
  | CitationPart
  | { type: "finish"; usage?: TokenUsage; finishReason?: string; timings?: QueryTimings }
  | { type: "error"; code: string; causeCode?: string; message: string; partialText: string }
  | { type: "cancelled"; partialText: string };

/**
 * The answer as parts for a transport: `StreamingResponse.parts` with the error as plain data (code, message).
 * Sources first, then each reasoning and text delta, then `finish` (with usage), `error` or `cancelled`. Stopping
 * the iteration cancels the answer. It reads the response as an exclusive reader: another reader at the same time
 * (also `getResponse()`) gets `StreamConsumedError`.
 */
export async function* streamParts(response: StreamingResponse): AsyncGenerator<StreamPart> {
  for await (const part of answerParts(response, true)) {
    if (part.type !== "error") {
      yield part;
      continue;
    }
    const { error } = part;
    const cause = error.cause;
    yield {
      type: "error",
      code: error.code,
      causeCode: cause instanceof StreamdexError ? cause.code : undefined,
      message: error.message,
      partialText: part.partialText,
    };
  }
}

/** What a citing answer's numbered source adds to its JSON view: the number `[n]` cites, and the node it came from. */
export interface SourceNumbering {
  /** 1-based: the source `[number]` cites. */
  number: number;
  /** The id of the retrieved node the source was cut from. */
  originalNodeId: string;
}

/** A source's numbering when it is a citing answer's numbered source ({@link CitationSource}), else `undefined`. */
export function sourceNumbering(node: TextNode): SourceNumbering | undefined {
  return node instanceof CitationSource
    ? { number: node.number, originalNodeId: node.originalNodeId }
    : undefined;
}

/**
 * A JSON-friendly view of a source node: id, score, text and metadata (what SSE clients receive), plus `number`
 * and `originalNodeId` for a citing answer's numbered sources.
 */
export function serializeSource({ node, score }: NodeWithScore) {
  return { id: node.id, score, text: node.text, metadata: node.metadata, ...sourceNumbering(node) };
}
