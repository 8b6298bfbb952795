import type { EventDispatcher } from "../instrumentation/events.js";
import type { ProgressStep, ResponseMode } from "./types.js";

/**
 * The `progress` callback of a mode's context: emits `synthesize-progress` events for one synthesis, or is
 * `undefined` when nobody listens (the modes then build nothing).
 */
export function progressReporter(
  events: EventDispatcher,
  queryId: string | undefined,
  mode: ResponseMode,
): ((step: ProgressStep) => void) | undefined {
  if (!events.has("synthesize-progress")) return undefined;
  return (step) => events.emit({ type: "synthesize-progress", queryId, mode, ...step });
}
