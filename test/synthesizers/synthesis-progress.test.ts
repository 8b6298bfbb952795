// `synthesize-progress` events: the earlier calls of refine, compact and tree_summarize, by order and count.
import { afterEach, describe, expect, it } from "vitest";
import {
  EventDispatcher,
  getResponseSynthesizer,
  MockLLM,
  type MockLLMOptions,
  PromptHelper,
  type ResponseMode,
  Settings,
  type SynthesizeProgressEvent,
} from "../../src/index.js";
import { progressReporter } from "../../src/synthesizers/progress.js";
import type { Tokenizer } from "../../src/utils/tokenizer.js";
import { collect, nodes } from "../support/fixtures.js";

/** One token per whitespace-separated word: makes packing arithmetic exact. */
const vocab: string[] = [];
const ids = new Map<string, number>();
const wordTokenizer: Tokenizer = {
  encode: (t) =>
    t
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => {
        if (!ids.has(w)) ids.set(w, vocab.push(w) - 1);
        return ids.get(w)!;
      }),
  decode: (tokens) => tokens.map((id) => vocab[id]).join(" "),
  countTokens: (t) => t.split(/\s+/).filter(Boolean).length,
};

// Window 21, 5 for output: two 5-token nodes fit one prompt, three do not (as in response-modes.test.ts).
function synth<S extends boolean>(
  mode: ResponseMode,
  streaming: S,
  llmOptions: MockLLMOptions = {},
  maxConcurrency?: number,
) {
  const llm = new MockLLM({ response: "ans", ...llmOptions });
  const promptHelper = new PromptHelper({ contextWindow: 21, numOutput: 5, tokenizer: wordTokenizer });
  const s = getResponseSynthesizer({
    streaming,
    responseMode: mode,
    llm,
    promptHelper,
    maxConcurrency,
    textQATemplate: "Q {query} C {context}",
    refineTemplate: "Q {query} A {existingAnswer} C {context}",
    summaryTemplate: "S {query} {context}",
  });
  return { llm, synth: s };
}

/** Records the progress events, each with the number of LLM calls made when it came. */
function record(llm: MockLLM) {
  const seen: { event: SynthesizeProgressEvent; callsMade: number }[] = [];
  const off = Settings.events.on("synthesize-progress", (event) =>
    seen.push({ event, callsMade: llm.calls.length }),
  );
  offs.push(off);
  return seen;
}
const offs: (() => void)[] = [];
afterEach(() => {
  for (const off of offs.splice(0)) off();
});

const short = (e: SynthesizeProgressEvent) =>
  `${e.phase} ${e.level === undefined ? "" : `L${e.level} `}${e.step}/${e.total} done ${e.done}${e.final ? " final" : ""}`;

describe("synthesize-progress", () => {
  it("refine over 4 chunks: 1/4..3/4 start and end while synthesize() runs, then 4/4 as the streamed call starts", async () => {
    const { llm, synth: s } = synth("refine", true);
    const seen = record(llm);
    const res = await s.synthesize({ query: "q", nodes: nodes(4, 4), queryId: "query-1" });
    expect(seen.map((x) => short(x.event))).toEqual([
      "start 1/4 done 0",
      "end 1/4 done 1",
      "start 2/4 done 1",
      "end 2/4 done 2",
      "start 3/4 done 2",
      "end 3/4 done 3",
      "start 4/4 done 3 final",
    ]);
    expect(seen.every((x) => x.event.mode === "refine" && x.event.queryId === "query-1")).toBe(true);
    // Each step's start comes before its call, its end after; 4/4 comes right before the streamed call.
    expect(seen.map((x) => x.callsMade)).toEqual([0, 1, 1, 2, 2, 3, 3]);
    expect(llm.calls).toHaveLength(4);
    expect(llm.calls[3]!.streamed).toBe(true);
    expect(llm.calls[3]!.chunksProduced).toBe(0); // synthesize() returned when the last call started
    await collect(res);
    expect(seen).toHaveLength(7); // nothing more while the answer streams
  });

  it("refine without streaming reports the same steps", async () => {
    const { llm, synth: s } = synth("refine", false);
    const seen = record(llm);
    await s.synthesize({ query: "q", nodes: nodes(3, 4) });
    expect(seen.map((x) => short(x.event))).toEqual([
      "start 1/3 done 0",
      "end 1/3 done 1",
      "start 2/3 done 1",
      "end 2/3 done 2",
      "start 3/3 done 2 final",
    ]);
  });

  it("compact over several packs reports its refine steps as mode compact", async () => {
    const { llm, synth: s } = synth("compact", true);
    const seen = record(llm);
    await collect(await s.synthesize({ query: "q", nodes: nodes(4, 4) })); // two packs of two
    expect(seen.map((x) => `${x.event.mode} ${short(x.event)}`)).toEqual([
      "compact start 1/2 done 0",
      "compact end 1/2 done 1",
      "compact start 2/2 done 1 final",
    ]);
  });

  it("none for a single call: compact over one pack, refine over one chunk, simple_summarize, generation", async () => {
    for (const [mode, count] of [
      ["compact", 2],
      ["refine", 1],
      ["tree_summarize", 2],
      ["simple_summarize", 4],
      ["generation", 3],
    ] as const) {
      const { llm, synth: s } = synth(mode, true);
      const seen = record(llm);
      await collect(await s.synthesize({ query: "q", nodes: nodes(count, 4) }));
      expect(llm.calls, mode).toHaveLength(1);
      expect(seen, mode).toEqual([]);
    }
  });

  it("none for the accumulate modes (every call is the answer) nor without nodes", async () => {
    for (const mode of ["accumulate", "compact_accumulate", "refine"] as const) {
      const { llm, synth: s } = synth(mode, true);
      const seen = record(llm);
      await collect(await s.synthesize({ query: "q", nodes: mode === "refine" ? [] : nodes(4, 4) }));
      expect(seen, mode).toEqual([]);
    }
  });

  it("tree_summarize: each level's calls, then the final summary on a level of its own", async () => {
    // 5-word summaries: 8 chunks -> 4 packs -> 4 summaries -> 2 packs -> 2 summaries -> 1 pack (the answer).
    const { llm, synth: s } = synth("tree_summarize", true, { response: "a b c d e" }, 1);
    const seen = record(llm);
    const res = await s.synthesize({ query: "q", nodes: nodes(8, 4), queryId: "t" });
    expect(seen.map((x) => short(x.event))).toEqual([
      "start L1 1/4 done 0",
      "end L1 1/4 done 1",
      "start L1 2/4 done 1",
      "end L1 2/4 done 2",
      "start L1 3/4 done 2",
      "end L1 3/4 done 3",
      "start L1 4/4 done 3",
      "end L1 4/4 done 4",
      "start L2 1/2 done 0",
      "end L2 1/2 done 1",
      "start L2 2/2 done 1",
      "end L2 2/2 done 2",
      "start L3 1/1 done 0 final",
    ]);
    expect(seen.every((x) => x.event.mode === "tree_summarize")).toBe(true);
    expect(llm.calls).toHaveLength(7);
    expect(seen.at(-1)!.callsMade).toBe(6);
    expect(llm.calls[6]!.streamed).toBe(true);
    await collect(res);
  });

  it("tree_summarize with concurrent calls: every start and end of a level, done counting the ends", async () => {
    const { llm, synth: s } = synth("tree_summarize", true, {}, 4);
    const seen = record(llm);
    await collect(await s.synthesize({ query: "q", nodes: nodes(8, 4) }));
    const level1 = seen.filter((x) => x.event.level === 1).map((x) => x.event);
    expect(level1.filter((e) => e.phase === "start").map((e) => e.step)).toEqual([1, 2, 3, 4]);
    expect(level1.filter((e) => e.phase === "end").map((e) => e.done)).toEqual([1, 2, 3, 4]);
    expect(level1.every((e) => e.total === 4)).toBe(true);
    expect(short(seen.at(-1)!.event)).toBe("start L2 1/1 done 0 final");
  });

  it("nobody listening: the modes get no progress callback", () => {
    const events = new EventDispatcher();
    expect(progressReporter(events, "q", "refine")).toBeUndefined();
    const got: SynthesizeProgressEvent[] = [];
    const off = events.on("synthesize-progress", (e) => got.push(e));
    progressReporter(events, "q", "refine")!({ step: 1, total: 2, done: 0, phase: "start", final: false });
    off();
    expect(got).toEqual([
      {
        type: "synthesize-progress",
        queryId: "q",
        mode: "refine",
        step: 1,
        total: 2,
        done: 0,
        phase: "start",
        final: false,
      },
    ]);
  });
});
