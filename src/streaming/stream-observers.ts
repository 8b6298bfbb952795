import type { TokenUsage } from "../llms/types.js";

/**
 * Observers of one streamed answer (instrumentation). They see every delta and the end, never consume the
 * stream, and an exception in one is reported as a process warning, never thrown into the stream.
 */
export interface StreamHooks {
  onDelta?(delta: string, index: number): void;
  /** Each piece of the model's reasoning (never part of the text). */
  onReasoning?(delta: string): void;
  /** `usage` is the streamed call's own usage (not the query's total, which is on the response). */
  onEnd?(text: string, usage: TokenUsage | undefined, finishReason: string | undefined): void;
  onError?(error: unknown, partialText: string): void;
  onCancel?(partialText: string): void;
}

/** The {@link StreamHooks} of one answer: each called in turn, an exception in one a process warning. */
export class StreamObservers {
  private readonly list: StreamHooks[] = [];

  /** Whether any observer is attached (the per-delta path skips all work otherwise). */
  get active(): boolean {
    return this.list.length > 0;
  }

  add(hooks: StreamHooks): void {
    this.list.push(hooks);
  }

  /** A text delta: the per-delta path, without a closure per delta. */
  delta(delta: string, index: number): void {
    for (const hooks of this.list) {
      if (!hooks.onDelta) continue;
      try {
        hooks.onDelta(delta, index);
      } catch (error) {
        warn("onDelta", error);
      }
    }
  }

  /** A piece of reasoning. */
  reasoning(delta: string): void {
    for (const hooks of this.list) {
      if (!hooks.onReasoning) continue;
      try {
        hooks.onReasoning(delta);
      } catch (error) {
        warn("onReasoning", error);
      }
    }
  }

  /** The end, an error or a cancel: `call` runs for each observer. */
  notify(what: keyof StreamHooks, call: (hooks: StreamHooks) => void): void {
    for (const hooks of this.list) {
      try {
        call(hooks);
      } catch (error) {
        warn(what, error);
      }
    }
  }
}

function warn(what: keyof StreamHooks, error: unknown): void {
  process.emitWarning(`streamdex: a StreamingResponse observer's ${what} threw: ${String(error)}`);
}
