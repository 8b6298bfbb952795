import { describe, expect, it } from "vitest";
import {
  AbortError,
  EventDispatcher,
  type LLMStreamPart,
  Response,
  type StreamdexEvent,
  StreamingResponse,
} from "../../src/index.js";
import { abortScope, QueryLifecycle } from "../../src/instrumentation/query-lifecycle.js";

function recorder() {
  const events = new EventDispatcher();
  const seen: StreamdexEvent[] = [];
  events.on("query-start", (e) => seen.push(e));
  events.on("query-end", (e) => seen.push(e));
  return { events, seen };
}

/** A caller's signal that counts its live "abort" listeners. */
function countedSignal() {
  const caller = new AbortController();
  const signal = caller.signal;
  let live = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((type: string, listener: EventListener, options?: AddEventListenerOptions) => {
    if (type === "abort") live++;
    add(type, listener, options);
  }) as AbortSignal["addEventListener"];
  signal.removeEventListener = ((type: string, listener: EventListener, options?: EventListenerOptions) => {
    if (type === "abort") live--;
    remove(type, listener, options);
  }) as AbortSignal["removeEventListener"];
  return { caller, signal, live: () => live };
}

async function* parts(...texts: string[]): AsyncGenerator<LLMStreamPart> {
  for (const text of texts) yield { type: "text-delta", text };
  yield { type: "finish", usage: { promptTokens: 1, completionTokens: texts.length, totalTokens: 3 } };
}

describe("QueryLifecycle", () => {
  it("a finished Response: query-start, then one query-end with its text, usage and timings", async () => {
    const { events, seen } = recorder();
    const counted = countedSignal();
    const lifecycle = QueryLifecycle.start({ query: "q", streaming: false, signal: counted.signal, events });
    expect(counted.live()).toBe(1);
    const timings = { totalMs: 1 };
    const usage = { promptTokens: 1, completionTokens: 2, totalTokens: 3 };
    const result = await lifecycle.run(async () => new Response({ response: "answer", usage, timings }));
    expect(result.response).toBe("answer");
    expect(seen).toEqual([
      { type: "query-start", queryId: lifecycle.queryId, query: "q", streaming: false },
      { type: "query-end", queryId: lifecycle.queryId, text: "answer", usage, timings },
    ]);
    expect(counted.live()).toBe(0);
    // Unlinked: a late abort of the caller's signal no longer reaches the query, and emits nothing.
    counted.caller.abort();
    expect(lifecycle.controller.signal.aborted).toBe(false);
    expect(seen).toHaveLength(2);
  });

  it("a StreamingResponse: query-end when the stream ends, with the clock's timings", async () => {
    const { events, seen } = recorder();
    const lifecycle = QueryLifecycle.start({ query: "q", streaming: true, events });
    lifecycle.clock.retrieveMs = 2;
    const res = await lifecycle.run(
      async ({ controller, clock }) => new StreamingResponse({ stream: parts("a", "b"), controller, clock }),
    );
    expect(seen.map((e) => e.type)).toEqual(["query-start"]);
    await res.getResponse();
    expect(seen.map((e) => e.type)).toEqual(["query-start", "query-end"]);
    expect(seen[1]).toMatchObject({ text: "ab", usage: { completionTokens: 2 }, timings: { retrieveMs: 2 } });
    expect((seen[1] as { timings?: unknown }).timings).toBe(res.timings);
    expect(lifecycle.controller.signal.aborted).toBe(true); // released by the stream's end
  });

  it("a cancelled StreamingResponse: one query-end with cancelled: true", async () => {
    const { events, seen } = recorder();
    const lifecycle = QueryLifecycle.start({ query: "q", streaming: true, events });
    const res = await lifecycle.run(
      async ({ controller, clock }) => new StreamingResponse({ stream: parts("a", "b"), controller, clock }),
    );
    await res.cancel();
    await res.cancel();
    expect(seen.map((e) => e.type)).toEqual(["query-start", "query-end"]);
    expect(seen[1]).toMatchObject({ cancelled: true, text: "" });
    expect((seen[1] as { timings?: { totalMs: number } }).timings?.totalMs).toBeGreaterThanOrEqual(0);
  });

  it("an error: aborts the controller, one query-end with the error, rethrows it, unlinks the signal", async () => {
    const { events, seen } = recorder();
    const counted = countedSignal();
    const lifecycle = QueryLifecycle.start({ query: "q", streaming: true, signal: counted.signal, events });
    const boom = new Error("boom");
    await expect(
      lifecycle.run(async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(lifecycle.controller.signal.aborted).toBe(true);
    expect(seen.map((e) => e.type)).toEqual(["query-start", "query-end"]);
    expect(seen[1]).toMatchObject({ text: "", error: boom });
    expect(counted.live()).toBe(0);
  });

  it("the caller's signal aborting while the work runs: the work sees it, an AbortError is thrown", async () => {
    const { events, seen } = recorder();
    const counted = countedSignal();
    const lifecycle = QueryLifecycle.start({ query: "q", streaming: false, signal: counted.signal, events });
    const run = lifecycle.run(async ({ controller }) => {
      counted.caller.abort("stop");
      expect(controller.signal.aborted).toBe(true);
      expect(controller.signal.reason).toBe("stop");
      throw new Error("the provider failed as it was aborted");
    });
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(seen.map((e) => e.type)).toEqual(["query-start", "query-end"]);
    expect(seen[1]).toHaveProperty("error");
    expect(counted.live()).toBe(0);
  });

  it("an already aborted signal: throws AbortError before any event", () => {
    const { events, seen } = recorder();
    const caller = new AbortController();
    caller.abort();
    expect(() =>
      QueryLifecycle.start({ query: "q", streaming: false, signal: caller.signal, events }),
    ).toThrow(AbortError);
    expect(seen).toEqual([]);
  });

  it("signal: aborts with the caller's signal or the controller", () => {
    const caller = new AbortController();
    const lifecycle = QueryLifecycle.start({ query: "q", streaming: false, signal: caller.signal });
    expect(lifecycle.signal).toBe(lifecycle.signal);
    caller.abort("x");
    expect(lifecycle.signal.aborted).toBe(true);
    lifecycle.release();
    const own = QueryLifecycle.start({ query: "q", streaming: false });
    expect(own.signal).toBe(own.controller.signal);
  });

  it("abortScope: a given controller is kept, else a new one; the signal follows both", () => {
    const controller = new AbortController();
    const caller = new AbortController();
    const scope = abortScope(controller, caller.signal);
    expect(scope.controller).toBe(controller);
    controller.abort();
    expect(scope.signal.aborted).toBe(true);
    const fresh = abortScope(undefined, undefined);
    expect(fresh.signal).toBe(fresh.controller.signal);
  });
});
