import type { TokenUsage } from "../llms/types.js";
import type { NodeWithScore } from "../schema/node.js";
import type { QueryTimings } from "../schema/timings.js";
import type { ResponseMode } from "../synthesizers/types.js";

/** Every instrumentation event, discriminated by `type`. `queryId` ties the events of one query together. */
export type StreamdexEvent =
  | { type: "query-start"; queryId: string; query: string; streaming: boolean }
  | { type: "retrieve-end"; queryId: string; nodes: NodeWithScore[] }
  | {
      type: "query-end";
      queryId: string;
      text: string;
      usage?: TokenUsage;
      /** Where the query's time went (as on the response). */
      timings?: QueryTimings;
      error?: unknown;
      cancelled?: boolean;
    }
  | { type: "llm-start"; queryId?: string; callId: string; prompt: string; streaming: boolean }
  | { type: "llm-delta"; queryId?: string; callId: string; delta: string; index: number }
  | {
      type: "llm-end";
      queryId?: string;
      callId: string;
      text: string;
      usage?: TokenUsage;
      finishReason?: string;
    }
  | { type: "llm-error"; queryId?: string; callId: string; error: unknown; partialText: string }
  | { type: "llm-cancel"; queryId?: string; callId: string; partialText: string }
  | SynthesizeProgressEvent;

/**
 * Progress of a response mode that makes LLM calls before the answer's own (`refine`, `compact` over several
 * packed texts, `tree_summarize` over several packs): `"start"` as each call begins, `"end"` when its answer
 * arrived. The answer's own call is the last step (`final: true`) and only has a `"start"`, emitted as it is
 * started (a streaming `query()` resolves right after); its end is the `llm-end`/`query-end` events. A mode
 * with a single call (or `accumulate`, whose calls are all the answer) emits none.
 *
 * - `refine`/`compact`: `step` of `total` calls, one after the other ("refining 2/4"). `total` grows when a
 *   text must be split to fit next to the draft answer.
 * - `tree_summarize`: `level` (1 = summarising the chunks), `step` of `total` calls of that level (they run
 *   concurrently), `done` of them finished ("summarizing level 1 (3/5)"). The final summary is one call, on a
 *   level of its own.
 */
export interface SynthesizeProgressEvent {
  type: "synthesize-progress";
  queryId?: string;
  mode: ResponseMode;
  /** 1-based number of this call among `total` (of its level for `tree_summarize`). */
  step: number;
  total: number;
  /** `tree_summarize`: the 1-based level of this call. */
  level?: number;
  /** Calls of the same run (or level) finished, this one included on `"end"`. */
  done: number;
  phase: "start" | "end";
  /** The answer's own call (streamed when streaming). */
  final: boolean;
}

export type StreamdexEventType = StreamdexEvent["type"];
export type EventOf<T extends StreamdexEventType> = Extract<StreamdexEvent, { type: T }>;
export type EventHandler<T extends StreamdexEventType> = (event: EventOf<T>) => void;

/**
 * A synchronous, typed event bus. Handlers observe; they never consume or slow the user's stream beyond their
 * own run time, and an exception in a handler is reported as a process warning, never thrown into the stream.
 *
 * @example
 * ```ts
 * const off = Settings.events.on("llm-end", (e) => console.error(e.usage));
 * // later: off();
 * ```
 */
export class EventDispatcher {
  private readonly handlers = new Map<StreamdexEventType, Set<(event: StreamdexEvent) => void>>();

  /** Subscribes to one event type; returns the function that unsubscribes. */
  on<T extends StreamdexEventType>(type: T, handler: EventHandler<T>): () => void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    const h = handler as (event: StreamdexEvent) => void;
    set.add(h);
    return () => set.delete(h);
  }

  /** Whether anything listens to `type` (lets hot paths skip building events). */
  has(type: StreamdexEventType): boolean {
    const set = this.handlers.get(type);
    return set !== undefined && set.size > 0;
  }

  /** Delivers `event` to its handlers, synchronously. */
  emit(event: StreamdexEvent): void {
    const set = this.handlers.get(event.type);
    if (!set) return;
    for (const handler of set) {
      try {
        handler(event);
      } catch (error) {
        process.emitWarning(
          `streamdex: an instrumentation handler for "${event.type}" threw: ${String(error)}`,
        );
      }
    }
  }
}
