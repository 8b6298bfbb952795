import type { LLMChunk, LLMStream } from "../llms/types.js";
import { addUsage } from "../schema/response.js";

/** One started call of {@link orderedStreams}: its accepted stream and optional per-call observers. */
export interface StartedCall {
  stream: LLMStream;
  onDelta?(delta: string, index: number): void;
  onEnd?(text: string, usage: LLMChunk["usage"], finishReason: string | undefined): void;
}

/** Options of {@link orderedStreams}. */
export interface OrderedStreamsOptions {
  /** Number of calls. */
  count: number;
  /** Starts call `i`; resolves once the provider accepted it. */
  start(i: number): Promise<StartedCall>;
  /** Calls running at once: call `i + concurrency - 1` is started while call `i` is read. */
  concurrency: number;
  /** Text emitted before answer `i` (a label, a separator). */
  prefix?(i: number): string;
}

/**
 * Several streamed answers as one stream, in call order, while later calls already run. Resolves once the
 * first call is accepted. Pull-based: each answer is read only as fast as the consumer reads; stopping the
 * returned stream closes every started one. The last chunk carries the summed usage.
 */
export async function orderedStreams(options: OrderedStreamsOptions): Promise<LLMStream> {
  const started: Promise<StartedCall>[] = [];
  const startUpTo = (end: number) => {
    for (let i = started.length; i < Math.min(end, options.count); i++) {
      const call = options.start(i);
      call.catch(() => {}); // observed when its turn comes; never an unhandled rejection
      started.push(call);
    }
  };
  startUpTo(Math.max(1, options.concurrency));
  await started[0];
  return run(options, started, startUpTo);
}

async function* run(
  options: OrderedStreamsOptions,
  started: Promise<StartedCall>[],
  startUpTo: (end: number) => void,
): AsyncGenerator<LLMChunk> {
  let usage: LLMChunk["usage"];
  let finishReason: string | undefined;
  let current = 0;
  try {
    for (; current < options.count; current++) {
      startUpTo(current + options.concurrency);
      const call = await started[current]!;
      const prefix = options.prefix?.(current) ?? "";
      if (prefix !== "") yield { delta: prefix };
      let text = "";
      let callUsage: LLMChunk["usage"];
      let index = 0;
      for await (const chunk of call.stream) {
        if (chunk.usage) callUsage = chunk.usage;
        if (chunk.finishReason) finishReason = chunk.finishReason;
        if (chunk.delta === "") continue;
        text += chunk.delta;
        call.onDelta?.(chunk.delta, index++);
        yield { delta: chunk.delta };
      }
      call.onEnd?.(text, callUsage, finishReason);
      usage = addUsage(usage, callUsage);
    }
    yield { delta: "", usage, finishReason };
  } finally {
    // Close the calls started ahead that were never read (their requests are also aborted by the signal).
    for (let i = current + 1; i < started.length; i++) {
      started[i]!.then(
        (c) => closeStream(c.stream),
        () => {},
      );
    }
  }
}

function closeStream(stream: LLMStream): void {
  const it = stream[Symbol.asyncIterator]();
  void it.return?.()?.catch?.(() => {});
}
