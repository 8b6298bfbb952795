import { randomUUID } from "node:crypto";
import type { TokenUsage } from "../llms/types.js";
import type { Response } from "../schema/response.js";
import { QueryClock } from "../schema/timings.js";
import { Settings } from "../settings/settings.js";
import { StreamingResponse } from "../streaming/streaming-response.js";
import { abortReason, onAbort } from "../utils/abort.js";
import type { EventDispatcher } from "./events.js";
import { UsageMeter } from "./usage-meter.js";

/** What {@link QueryLifecycle.start} takes. */
export interface QueryLifecycleOptions {
  /** The question (or chat message), as `query-start` reports it. */
  query: string;
  /** Whether the answer is streamed, as `query-start` reports it. */
  streaming: boolean;
  /** The caller's signal: linked to the query's controller until {@link QueryLifecycle.release}. */
  signal?: AbortSignal;
  /** Default: `Settings.events` (read once, at the start). */
  events?: EventDispatcher;
  /** Usage spent before the query (a chat engine's condensing call): counted in its total. */
  priorUsage?: TokenUsage;
}

/**
 * The query's controller (a new one unless given) and the signal its work listens to: aborted by the
 * controller, or by the caller's `signal`.
 */
export function abortScope(
  controller: AbortController | undefined,
  signal: AbortSignal | undefined,
): { controller: AbortController; signal: AbortSignal } {
  const owned = controller ?? new AbortController();
  return { controller: owned, signal: signal ? AbortSignal.any([signal, owned.signal]) : owned.signal };
}

/**
 * One query (or chat message) from its start to its end: its id, its {@link QueryClock}, its {@link UsageMeter},
 * its `AbortController` (linked to the caller's signal while the query runs), and its `query-start` / `query-end`
 * events. The query engine and the chat engines run their work through {@link QueryLifecycle.run}; the retrieval
 * adds the query embedding's tokens to {@link usage}, and the synthesizer (or chat engine) its LLM calls'.
 *
 * - `query-start` is emitted by {@link start}; exactly one `query-end` follows: when a finished `Response` is
 *   returned, when a `StreamingResponse` ends (normally, by an error or by cancel), or when the work throws.
 * - On an error the controller is aborted (every provider request of the query stops), and an `AbortError` is
 *   thrown instead when the caller's signal aborted.
 * - The caller's signal is unlinked from the controller once the work has returned or thrown; from then on a
 *   `StreamingResponse` listens to that signal itself.
 *
 * @example
 * ```ts
 * const lifecycle = QueryLifecycle.start({ query, streaming: true, signal });
 * return lifecycle.run(async ({ controller, clock, queryId }) => synthesize({ controller, clock, queryId }));
 * ```
 */
export class QueryLifecycle {
  /** Ties the query's instrumentation events together. */
  readonly queryId: string = randomUUID();
  /** Started before `query-start` is emitted. */
  readonly clock: QueryClock = new QueryClock();
  /** The query's usage before its answer's own stream: the query embedding and the calls made so far. */
  readonly usage: UsageMeter = new UsageMeter();
  /** Aborted on an error, by the caller's signal while the work runs, or when the streamed answer ends. */
  readonly controller: AbortController = new AbortController();
  /** The caller's signal, if any. */
  readonly callerSignal: AbortSignal | undefined;
  private readonly events: EventDispatcher;
  /** Unlinks the caller's signal from the controller. */
  private readonly offAbort: () => void;
  private combined: AbortSignal | undefined;
  private ended = false;

  private constructor(options: QueryLifecycleOptions) {
    this.events = options.events ?? Settings.events;
    this.callerSignal = options.signal;
    this.usage.add(options.priorUsage);
    this.events.emit({
      type: "query-start",
      queryId: this.queryId,
      query: options.query,
      streaming: options.streaming,
    });
    this.offAbort = onAbort(options.signal, (reason) => this.controller.abort(reason));
  }

  /**
   * Starts a query: throws the `AbortError` of an already aborted `signal` (no event is emitted then), else emits
   * `query-start` and links `signal` to the query's controller.
   */
  static start(options: QueryLifecycleOptions): QueryLifecycle {
    if (options.signal?.aborted) throw abortReason(options.signal);
    return new QueryLifecycle(options);
  }

  /** Aborts with the caller's signal or the query's controller (what the LLM calls of the query listen to). */
  get signal(): AbortSignal {
    this.combined ??= abortScope(this.controller, this.callerSignal).signal;
    return this.combined;
  }

  /**
   * Runs the query's work: {@link end} with its result, or {@link fail} with its error (thrown); then
   * {@link release} in both cases.
   */
  async run<T extends StreamingResponse | Response>(work: (lifecycle: this) => Promise<T>): Promise<T> {
    try {
      const result = await work(this);
      this.end(result);
      return result;
    } catch (error) {
      throw this.fail(error);
    } finally {
      this.release();
    }
  }

  /**
   * The query's answer: a finished `Response` emits `query-end` now; a `StreamingResponse` emits it when it ends
   * (with the text, usage and timings it ended with, and `error` or `cancelled: true`).
   */
  end(result: StreamingResponse | Response): void {
    if (this.ended) return;
    this.ended = true;
    const { events, queryId } = this;
    if (!(result instanceof StreamingResponse)) {
      events.emit({
        type: "query-end",
        queryId,
        text: result.response,
        usage: result.usage,
        timings: result.timings,
      });
      return;
    }
    result.observe({
      onEnd: (text) =>
        events.emit({ type: "query-end", queryId, text, usage: result.usage, timings: result.timings }),
      onError: (error, text) =>
        events.emit({
          type: "query-end",
          queryId,
          text,
          error,
          usage: result.usage,
          timings: result.timings,
        }),
      onCancel: (text) =>
        events.emit({
          type: "query-end",
          queryId,
          text,
          cancelled: true,
          usage: result.usage,
          timings: result.timings,
        }),
    });
  }

  /**
   * The query failed before its answer: aborts the controller, emits `query-end` with `error`, and returns what to
   * throw (the `AbortError` of the caller's signal if it aborted, else `error`).
   */
  fail(error: unknown): unknown {
    this.controller.abort();
    if (!this.ended) {
      this.ended = true;
      this.events.emit({
        type: "query-end",
        queryId: this.queryId,
        text: "",
        error,
        usage: this.usage.total,
        timings: this.clock.timings(performance.now(), undefined, undefined, 0),
      });
    }
    return this.callerSignal?.aborted ? abortReason(this.callerSignal) : error;
  }

  /** Unlinks the caller's signal from the controller. Safe to call twice. */
  release(): void {
    this.offAbort();
  }
}
