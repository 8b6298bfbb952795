import type { Citation } from "../citations/citation-parser.js";
import { StreamdexError } from "../errors/index.js";
import { messageOf } from "../errors/message-of.js";
import type { ReasoningDeltaPart, TextDeltaPart, TokenUsage } from "../llms/types.js";
import type { NodeWithScore } from "../schema/node.js";
import type { QueryTimings } from "../schema/timings.js";

/**
 * One part of a streamed answer (`StreamingResponse.parts`): a discriminated union on `type`. `sources` comes
 * first; `error` or `cancelled`, when they come, are the last part.
 *
 * @example
 * ```ts
 * for await (const part of res.parts) {
 *   if (part.type === "reasoning-delta") dim(part.text);
 *   else if (part.type === "text-delta") process.stdout.write(part.text);
 *   else if (part.type === "finish") console.log(part.usage);
 * }
 * ```
 */
export type AnswerPart =
  | { type: "sources"; sourceNodes: NodeWithScore[] }
  | { type: "reasoning-delta"; text: string }
  | { type: "text-delta"; text: string }
  | CitationPart
  | { type: "finish"; usage?: TokenUsage; finishReason?: string; timings?: QueryTimings }
  | { type: "error"; error: StreamdexError; partialText: string }
  | { type: "cancelled"; partialText: string };

/**
 * A citation marker of the answer (`[n]`), right after the text-delta that completed it: its source number, the
 * id of that numbered source's node (`null` when there is no such source), and where the whole bracket group
 * sits in `responseTxt` (`responseTxt.slice(start, end)` is e.g. `"[1, 3]"`).
 */
export type CitationPart = { type: "citation" } & Citation;

/** What {@link answerParts} reads: a `StreamingResponse`. */
export interface AnswerSource {
  readonly sourceNodes: NodeWithScore[];
  readonly responseTxt: string;
  readonly usage: TokenUsage | undefined;
  readonly finishReason: string | undefined;
  readonly timings: QueryTimings | undefined;
  readonly cancelled: boolean;
  answerDeltas(exclusive: boolean): AsyncIterator<TextDeltaPart | ReasoningDeltaPart | CitationPart>;
}

/**
 * The answer as {@link AnswerPart}s, over the response's one pass: `sources`, the text and reasoning deltas in the
 * model's order (each `citation` right after the text-delta that completed it), then `finish`, `error` (an error is a part, not thrown) or `cancelled`. Leaving the loop early
 * cancels the answer. `exclusive`: as the library's transports read (never handed over to `getResponse()`).
 */
export async function* answerParts(response: AnswerSource, exclusive = false): AsyncGenerator<AnswerPart> {
  yield { type: "sources", sourceNodes: response.sourceNodes };
  try {
    const deltas = response.answerDeltas(exclusive);
    yield* { [Symbol.asyncIterator]: () => deltas };
  } catch (error) {
    yield {
      type: "error",
      error:
        error instanceof StreamdexError
          ? error
          : new StreamdexError(messageOf(error), {
              code: "internal_error",
              cause: error,
            }),
      partialText: response.responseTxt,
    };
    return;
  }
  if (response.cancelled) yield { type: "cancelled", partialText: response.responseTxt };
  else {
    yield {
      type: "finish",
      usage: response.usage,
      finishReason: response.finishReason,
      timings: response.timings,
    };
  }
}
