import { legacyParts } from "../llms/stream-part.js";
import type { LLMStream, LLMStreamPart, TokenUsage } from "../llms/types.js";
import { addUsage } from "../schema/response.js";
import type { StreamHooks } from "./stream-observers.js";

/** One started call of {@link orderedStreams}: its accepted stream and its observer. */
export interface StartedCall {
  stream: LLMStream;
  hooks?: StreamHooks;
}

/** Options of {@link orderedStreams}. */
export interface OrderedStreamsOptions {
  /** Number of calls. */
  count: number;
  /**
   * Starts call `i` with its own abort signal; resolves once the provider accepted it. It should report its
   * own start failure to its observer; later outcomes (end, error, cancel) are reported by `orderedStreams`.
   */
  start(i: number, signal: AbortSignal): Promise<StartedCall>;
  /** Calls running at once: call `i + concurrency - 1` is started while call `i` is read. */
  concurrency: number;
  /** The query's signal: aborting it aborts every call. */
  signal?: AbortSignal;
  /** Text emitted before answer `i` (a label, a separator). */
  prefix?(i: number): string;
}

/**
 * Several streamed answers as one stream, in call order, while later calls already run. Resolves once the
 * first wave of calls (up to `concurrency`) has been accepted, and rejects, aborting the others, if one of them
 * is refused. Pull-based: each answer is read only as fast as the consumer reads. When the combined stream
 * ends in any way, every call still running is aborted. Text and reasoning parts pass through in order; one
 * `finish` part at the end carries the summed usage.
 */
export async function orderedStreams(options: OrderedStreamsOptions): Promise<LLMStream> {
  const calls: { controller: AbortController; started: Promise<StartedCall> }[] = [];
  const startUpTo = (end: number) => {
    for (let i = calls.length; i < Math.min(end, options.count); i++) {
      const controller = new AbortController();
      const signal = options.signal
        ? AbortSignal.any([options.signal, controller.signal])
        : controller.signal;
      const started = options.start(i, signal);
      started.catch(() => {}); // observed when its turn comes; never an unhandled rejection
      calls.push({ controller, started });
    }
  };
  const abortAll = () => {
    for (const call of calls) call.controller.abort();
  };
  startUpTo(Math.max(1, options.concurrency));
  try {
    await Promise.all(calls.map((c) => c.started));
  } catch (error) {
    abortAll();
    throw error;
  }
  const generator = run(options, calls, startUpTo, abortAll);
  // A generator returned before its first `next()` skips its `finally`: stop the calls and tell their observers here.
  let started = false;
  const iterator: AsyncIterableIterator<LLMStreamPart> = {
    next: () => {
      started = true;
      return generator.next();
    },
    return: (value?: unknown) => {
      if (!started) {
        started = true;
        abortAll();
        cancelWaiting(calls, 0);
      }
      return generator.return(value as undefined);
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/** Tells the observers of calls `from` onwards, none of which was read, that they were cancelled. */
function cancelWaiting(calls: { started: Promise<StartedCall> }[], from: number): void {
  for (let i = from; i < calls.length; i++) {
    calls[i]!.started.then(
      (c) => c.hooks?.onCancel?.(""),
      () => {},
    );
  }
}

async function* run(
  options: OrderedStreamsOptions,
  calls: { started: Promise<StartedCall> }[],
  startUpTo: (end: number) => void,
  abortAll: () => void,
): AsyncGenerator<LLMStreamPart> {
  let usage: TokenUsage | undefined;
  let finishReason: string | undefined;
  let current = 0;
  let currentCall: StartedCall | undefined;
  let text = "";
  try {
    for (; current < options.count; current++) {
      startUpTo(current + options.concurrency);
      currentCall = await calls[current]!.started;
      text = "";
      const prefix = options.prefix?.(current) ?? "";
      if (prefix !== "") yield { type: "text-delta", text: prefix };
      let callUsage: TokenUsage | undefined;
      let callFinish: string | undefined;
      let index = 0;
      try {
        for await (const received of currentCall.stream) {
          for (const part of received.type === undefined ? legacyParts(received) : [received]) {
            if (part.type === "finish") {
              if (part.usage) callUsage = part.usage;
              if (part.finishReason) callFinish = part.finishReason;
            } else if (part.type === "text-delta") {
              if (part.text === "") continue;
              text += part.text;
              currentCall.hooks?.onDelta?.(part.text, index++);
              yield { type: "text-delta", text: part.text };
            } else if (part.type === "reasoning-delta") {
              if (part.text !== "") yield { type: "reasoning-delta", text: part.text };
            }
          }
        }
      } catch (error) {
        currentCall.hooks?.onError?.(error, text);
        currentCall = undefined;
        throw error;
      }
      currentCall.hooks?.onEnd?.(text, callUsage, callFinish);
      currentCall = undefined;
      usage = addUsage(usage, callUsage);
      finishReason = callFinish ?? finishReason;
    }
    yield { type: "finish", usage, finishReason };
  } finally {
    // Stopped early (break, cancel, error) or done: abort whatever still runs and tell its observers.
    abortAll();
    currentCall?.hooks?.onCancel?.(text);
    cancelWaiting(calls, current + 1);
  }
}
