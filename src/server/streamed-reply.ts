import { StreamdexError } from "../errors/index.js";
import type { Response } from "../schema/response.js";
import { StreamingResponse } from "../streaming/streaming-response.js";

/** The stream of a streamed reply: its chunks (pull-based) and how to cancel it. */
export interface StreamedBody {
  chunks: AsyncGenerator<string>;
  cancel(): Promise<void>;
}

/**
 * The answer an engine gave, as a stream: a `StreamingResponse` as it is, a finished `Response` (an engine that
 * does not stream) as a one-chunk one. A citing engine's markers are read again from that chunk (with the citing
 * engine's default of counting `France[1]`), so they come as citation parts.
 */
export function asStreaming(result: StreamingResponse | Response): StreamingResponse {
  if (result instanceof StreamingResponse) return result;
  return new StreamingResponse({
    text: result.response,
    sourceNodes: result.sourceNodes,
    metadata: result.metadata,
    priorUsage: result.usage,
    ...(result.citations.length > 0 ? { citations: { citeAfterWord: true } } : {}),
  });
}

/**
 * A streamed answer's body in some wire format (`encode`): `onEnd` runs once, when the chunks end or the stream is
 * cancelled, with a note for the log (`stream done|cancelled|error <code> <n> deltas`).
 */
export function streamedBody(
  streaming: StreamingResponse,
  encode: (streaming: StreamingResponse) => AsyncGenerator<string>,
  onEnd: (note: string) => void,
): StreamedBody {
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
    onEnd(`stream ${outcome} ${streaming.deltaCount} deltas`);
  };
  return {
    chunks: endingWith(encode(streaming), end),
    cancel: async () => {
      await streaming.cancel();
      end();
    },
  };
}

/** `source`, calling `onEnd` once it ends in any way (its end, an error, or `return()`). */
export async function* endingWith<T>(source: AsyncGenerator<T>, onEnd: () => void): AsyncGenerator<T> {
  try {
    yield* source;
  } finally {
    onEnd();
  }
}
