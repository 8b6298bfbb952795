/**
 * Where a query's time went, in milliseconds from `performance.now()`. The times to first token count from the
 * start of the query (for a chat message: from the start of the message). Fields are absent when that phase did
 * not happen (no retrieval, no earlier LLM calls, no reasoning, no text yet).
 *
 * @example
 * ```ts
 * const res = await engine.query("Who founded the company?");
 * await res.getResponse();
 * console.log(res.timings); // { retrieveMs: 3.1, ttftMs: 210.4, totalMs: 812.9, tokensPerSecond: 41.2, ... }
 * ```
 */
export interface QueryTimings {
  /** Retrieval, query embedding included. */
  retrieveMs?: number;
  /** The LLM calls made before the answer's own (refine, tree_summarize, a chat's condense step). */
  priorCallsMs?: number;
  /** Until the first reasoning token. */
  ttfrMs?: number;
  /** Until the first answer token. */
  ttftMs?: number;
  /** The whole query, until its stream ended (normally, by cancel, or by an error). */
  totalMs: number;
  /** Answer tokens per second, from the first answer token to the end. */
  tokensPerSecond?: number;
}

/**
 * The clock of one query: its start, and the phases measured before its answer streams. Made by the query engine
 * (or a chat engine) at the start of a query and handed down to the synthesizer and the response.
 */
export class QueryClock {
  /** `performance.now()` at the start of the query. */
  readonly start: number;
  retrieveMs: number | undefined;
  priorCallsMs: number | undefined;

  constructor(start: number = performance.now()) {
    this.start = start;
  }

  /** Milliseconds since the start. */
  elapsed(now: number = performance.now()): number {
    return now - this.start;
  }

  /**
   * The timings once the answer has ended at `end`, with the times of its first reasoning and answer tokens and
   * the number of answer tokens.
   */
  timings(
    end: number,
    firstReasoning: number | undefined,
    firstText: number | undefined,
    answerTokens: number,
  ): QueryTimings {
    const timings: QueryTimings = { totalMs: round(end - this.start) };
    if (this.retrieveMs !== undefined) timings.retrieveMs = round(this.retrieveMs);
    if (this.priorCallsMs !== undefined) timings.priorCallsMs = round(this.priorCallsMs);
    if (firstReasoning !== undefined) timings.ttfrMs = round(firstReasoning - this.start);
    if (firstText !== undefined) {
      timings.ttftMs = round(firstText - this.start);
      const seconds = (end - firstText) / 1000;
      if (seconds > 0 && answerTokens > 1) timings.tokensPerSecond = round((answerTokens - 1) / seconds);
    }
    return timings;
  }
}

/** To a hundredth of a millisecond: enough for a reader, no noise digits in JSON. */
function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
