import { afterEach, describe, expect, it } from "vitest";
import {
  getResponseSynthesizer,
  MockLLM,
  type MockLLMOptions,
  type ResponseMode,
  RetrieverQueryEngine,
  Settings,
  type StreamdexEvent,
  type StreamdexEventType,
} from "../../src/index.js";
import { collect, FixedRetriever, nodes, settle } from "../support/fixtures.js";

const ALL: StreamdexEventType[] = [
  "query-start",
  "retrieve-end",
  "query-end",
  "llm-start",
  "llm-delta",
  "llm-end",
  "llm-error",
  "llm-cancel",
];
let offs: (() => void)[] = [];
afterEach(() => {
  for (const off of offs) off();
  offs = [];
});

function record(): StreamdexEvent[] {
  const events: StreamdexEvent[] = [];
  for (const type of ALL) offs.push(Settings.events.on(type, (e) => events.push(e)));
  return events;
}

function engine(opts: MockLLMOptions, mode: ResponseMode = "compact", n = 2, llm = new MockLLM(opts)) {
  return new RetrieverQueryEngine({
    retriever: new FixedRetriever(nodes(n)),
    responseSynthesizer: getResponseSynthesizer({ streaming: true, llm, responseMode: mode }),
  });
}

describe("instrumentation events (DESIGN §2.10)", () => {
  it("marks query start, retrieval, LLM start, each delta, LLM end with usage and query end, in order", async () => {
    const events = record();
    const res = await engine({ response: "a b c" }).query("q");
    expect(events.map((e) => e.type)).toEqual(["query-start", "retrieve-end", "llm-start"]);
    const deltas = await collect(res);
    expect(deltas).toEqual(["a", " b", " c"]);
    expect(events.map((e) => e.type)).toEqual([
      "query-start",
      "retrieve-end",
      "llm-start",
      "llm-delta",
      "llm-delta",
      "llm-delta",
      "llm-end",
      "query-end",
    ]);
    const end = events.find((e) => e.type === "llm-end");
    expect(end).toMatchObject({ text: "a b c", usage: { completionTokens: 3 } });
    const ids = new Set(events.map((e) => ("queryId" in e ? e.queryId : undefined)));
    expect(ids.size).toBe(1);
  });

  it("reports non-streamed calls of multi-call modes as llm-start/llm-end pairs before the streamed one", async () => {
    const events = record();
    const res = await engine({ response: "x" }, "refine", 3).query("q");
    await collect(res);
    const llm = events.filter((e) => e.type.startsWith("llm-"));
    expect(llm.map((e) => e.type)).toEqual([
      "llm-start",
      "llm-end",
      "llm-start",
      "llm-end",
      "llm-start",
      "llm-delta",
      "llm-end",
    ]);
    expect(
      llm.filter((e) => e.type === "llm-start").map((e) => (e as { streaming: boolean }).streaming),
    ).toEqual([false, false, true]);
  });

  it("marks errors and cancellations, and ends the query either way", async () => {
    const events = record();
    const failing = await engine({ response: "a b c", failAfterChunks: 1 }).query("q");
    await expect(collect(failing)).rejects.toThrow();
    expect(events.find((e) => e.type === "llm-error")).toMatchObject({ partialText: "a" });
    expect(events.at(-1)).toMatchObject({ type: "query-end", text: "a" });

    events.length = 0;
    const cancelled = await engine({ response: "a b c", chunkDelayMs: 60_000 }).query("q");
    const it = cancelled[Symbol.asyncIterator]();
    await it.next();
    await cancelled.cancel();
    expect(events.filter((e) => e.type === "llm-cancel")).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: "query-end", cancelled: true });
  });

  it.each(["compact", "refine", "tree_summarize", "accumulate", "compact_accumulate"] as const)(
    "%s: every llm-start gets its end when the answer is cancelled, or its signal aborts, before any read",
    async (mode) => {
      const ends = (events: StreamdexEvent[]) =>
        events.filter((e) => e.type === "llm-end" || e.type === "llm-error" || e.type === "llm-cancel");
      for (const stop of ["cancel", "abort"] as const) {
        const events = record();
        const llm = new MockLLM({ response: "a b c" });
        const controller = new AbortController();
        const res = await engine({}, mode, 3, llm).query("q", { signal: controller.signal });
        const starts = events.filter((e) => e.type === "llm-start").length;
        expect(starts).toBeGreaterThan(0);
        if (stop === "cancel") await res.cancel();
        else controller.abort();
        await settle();
        // Nobody read the answer: it has still ended, every call was stopped and reported, and the query ended.
        expect(res.done).toBe(true);
        expect(ends(events)).toHaveLength(starts);
        expect(events.filter((e) => e.type === "query-end")).toHaveLength(1);
        expect(llm.calls.filter((c) => c.streamed && !c.aborted)).toEqual([]);
        if (stop === "abort") await expect(res.getResponse()).rejects.toMatchObject({ name: "AbortError" });
        for (const off of offs) off();
        offs = [];
      }
    },
  );

  it("observers never consume the stream, and a throwing handler does not break it", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    offs.push(() => process.off("warning", onWarning));
    offs.push(
      Settings.events.on("llm-delta", () => {
        throw new Error("handler bug");
      }),
    );
    const res = await engine({ response: "a b c" }).query("q");
    expect(await collect(res)).toEqual(["a", " b", " c"]);
    await settle();
    expect(warnings.some((w) => w.includes("handler bug"))).toBe(true);
  });
});
