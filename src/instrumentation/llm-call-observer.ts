import { randomUUID } from "node:crypto";
import type { TokenUsage } from "../llms/types.js";
import type { StreamHooks } from "../streaming/stream-observers.js";
import type { EventDispatcher } from "./events.js";

/**
 * Emits the instrumentation events of one LLM call: `llm-start` when created, then deltas and exactly one of
 * `llm-end`, `llm-error` or `llm-cancel`. Cheap when nobody listens.
 */
export class LLMCallObserver implements StreamHooks {
  readonly callId = randomUUID();
  private ended = false;

  constructor(
    private readonly events: EventDispatcher,
    private readonly queryId: string | undefined,
    prompt: string,
    streaming: boolean,
  ) {
    if (events.has("llm-start")) {
      events.emit({ type: "llm-start", queryId, callId: this.callId, prompt, streaming });
    }
  }

  onDelta(delta: string, index: number): void {
    if (this.events.has("llm-delta")) {
      this.events.emit({ type: "llm-delta", queryId: this.queryId, callId: this.callId, delta, index });
    }
  }

  onEnd(text: string, usage: TokenUsage | undefined, finishReason: string | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.events.emit({
      type: "llm-end",
      queryId: this.queryId,
      callId: this.callId,
      text,
      usage,
      finishReason,
    });
  }

  onError(error: unknown, partialText: string): void {
    if (this.ended) return;
    this.ended = true;
    this.events.emit({ type: "llm-error", queryId: this.queryId, callId: this.callId, error, partialText });
  }

  onCancel(partialText: string): void {
    if (this.ended) return;
    this.ended = true;
    this.events.emit({ type: "llm-cancel", queryId: this.queryId, callId: this.callId, partialText });
  }
}
