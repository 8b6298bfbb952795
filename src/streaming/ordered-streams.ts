import { estimateUsage } from "../llms/estimate-usage.js";
import { legacyParts } from "../llms/stream-part.js";
import type { LLMStream, LLMStreamPart, TokenUsage } from "../llms/types.js";
import { addUsage } from "../schema/response.js";
import type { Tokenizer } from "../utils/tokenizer.js";
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
  /**
   * Each call's prompt and the model's tokenizer: a call whose provider reports no usage (or that is cut by a
   * cancel or an error first) is counted from them, flagged `estimated: true`.
   */
  estimate?: { prompt(i: number): string; tokenizer: Tokenizer };
}

/** The stream of {@link orderedStreams}, which can say what its calls have used so far. */
export interface OrderedStream extends AsyncIterableIterator<LLMStreamPart> {
  /**
   * The usage of the calls so far: the finished ones, the one being read (its text so far, estimated) and the
   * ones accepted but not read yet (their prompts, estimated). What the final `finish` part carries once all ended.
   */
  usageSoFar(): TokenUsage | undefined;
}

/**
 * Several streamed answers as one stream, in call order, while later calls already run. Resolves once the
 * first wave of calls (up to `concurrency`) has been accepted, and rejects, aborting the others, if one of them
 * is refused. Pull-based: each answer is read only as fast as the consumer reads. When the combined stream
 * ends in any way, every call still running is aborted. Text and reasoning parts pass through in order; one
 * `finish` part at the end carries the summed usage.
 */
export async function orderedStreams(options: OrderedStreamsOptions): Promise<OrderedStream> {
  const calls: Call[] = [];
  const startUpTo = (end: number) => {
    for (let i = calls.length; i < Math.min(end, options.count); i++) {
      const controller = new AbortController();
      const signal = options.signal
        ? AbortSignal.any([options.signal, controller.signal])
        : controller.signal;
      const started = options.start(i, signal);
      const call: Call = { controller, started, accepted: false };
      // Observed when its turn comes; never an unhandled rejection.
      started.then(
        () => {
          call.accepted = true;
        },
        () => {},
      );
      calls.push(call);
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
  const meter = new CallMeter(options, calls);
  const generator = run(options, calls, startUpTo, abortAll, meter);
  // A generator returned before its first `next()` skips its `finally`: stop the calls and tell their observers here.
  let started = false;
  const iterator: OrderedStream = {
    usageSoFar: () => meter.soFar(),
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

/** One call of {@link orderedStreams}. */
interface Call {
  controller: AbortController;
  started: Promise<StartedCall>;
  /** The provider accepted it (its prompt was sent and taken). */
  accepted: boolean;
}

/** The usage of {@link orderedStreams}' calls: each finished call's, and the one being read as far as it got. */
class CallMeter {
  /** Of the finished calls. */
  done: TokenUsage | undefined;
  /** Calls finished. */
  finished = 0;
  /** The call being read: its text and reasoning so far. */
  text = "";
  reasoning = "";

  constructor(
    private readonly options: OrderedStreamsOptions,
    private readonly calls: Call[],
  ) {}

  /** Call `i` ended: its provider's usage, else counted. */
  end(i: number, usage: TokenUsage | undefined): void {
    this.done = addUsage(this.done, usage ?? this.estimate(i, this.text, this.reasoning));
    this.finished = i + 1;
    this.text = "";
    this.reasoning = "";
  }

  soFar(): TokenUsage | undefined {
    let usage = this.done;
    for (let i = this.finished; i < this.calls.length; i++) {
      if (!this.calls[i]!.accepted) continue;
      const current = i === this.finished;
      usage = addUsage(usage, this.estimate(i, current ? this.text : "", current ? this.reasoning : ""));
    }
    return usage;
  }

  private estimate(i: number, text: string, reasoning: string): TokenUsage | undefined {
    const e = this.options.estimate;
    return e ? estimateUsage(e.tokenizer, e.prompt(i), text, reasoning) : undefined;
  }
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
  calls: Call[],
  startUpTo: (end: number) => void,
  abortAll: () => void,
  meter: CallMeter,
): AsyncGenerator<LLMStreamPart> {
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
              meter.text = text;
              currentCall.hooks?.onDelta?.(part.text, index++);
              yield { type: "text-delta", text: part.text };
            } else if (part.type === "reasoning-delta") {
              if (part.text === "") continue;
              meter.reasoning += part.text;
              yield { type: "reasoning-delta", text: part.text };
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
      meter.end(current, callUsage);
      finishReason = callFinish ?? finishReason;
    }
    yield { type: "finish", usage: meter.done, finishReason };
  } finally {
    // Stopped early (break, cancel, error) or done: abort whatever still runs and tell its observers.
    abortAll();
    currentCall?.hooks?.onCancel?.(text);
    cancelWaiting(calls, current + 1);
  }
}
