import { describe, expect, it } from "vitest";
import {
  getResponseSynthesizer,
  MockLLM,
  type MockLLMOptions,
  PromptHelper,
  RESPONSE_MODES,
  Response,
  type ResponseMode,
  StreamingResponse,
} from "../../src/index.js";
import type { Tokenizer } from "../../src/utils/tokenizer.js";
import { collect, nodes } from "../support/fixtures.js";

/** One token per whitespace-separated word: makes packing arithmetic exact in these tests. */
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

const templates = {
  textQATemplate: "Q {query} C {context}",
  refineTemplate: "Q {query} A {existingAnswer} C {context}",
  summaryTemplate: "S {query} {context}",
};

// Window 21, 5 for output: two 5-token nodes fit one prompt, three do not.
function synth<S extends boolean>(mode: ResponseMode, streaming: S, llmOptions: MockLLMOptions = {}) {
  const llm = new MockLLM({ response: "ans", ...llmOptions });
  const promptHelper = new PromptHelper({ contextWindow: 21, numOutput: 5, tokenizer: wordTokenizer });
  return {
    llm,
    synth: getResponseSynthesizer({ streaming, responseMode: mode, llm, promptHelper, ...templates }),
  };
}

const expected: Record<ResponseMode, { nodes: number; calls: number; streamedCalls: number }> = {
  refine: { nodes: 3, calls: 3, streamedCalls: 1 },
  compact: { nodes: 4, calls: 2, streamedCalls: 1 },
  tree_summarize: { nodes: 4, calls: 3, streamedCalls: 1 },
  simple_summarize: { nodes: 4, calls: 1, streamedCalls: 1 },
  accumulate: { nodes: 3, calls: 3, streamedCalls: 3 },
  compact_accumulate: { nodes: 4, calls: 2, streamedCalls: 2 },
  generation: { nodes: 3, calls: 1, streamedCalls: 1 },
  no_text: { nodes: 3, calls: 0, streamedCalls: 0 },
  context_only: { nodes: 3, calls: 0, streamedCalls: 0 },
};

describe("every response mode streams (DESIGN §2.4)", () => {
  for (const mode of RESPONSE_MODES) {
    const want = expected[mode];
    it(`${mode}: ${want.calls} calls, ${want.streamedCalls} streamed, the streamed ones last`, async () => {
      const { llm, synth: s } = synth(mode, true);
      const res = await s.synthesize({ query: "q", nodes: nodes(want.nodes, 3) });
      expect(res).toBeInstanceOf(StreamingResponse);
      const deltas = await collect(res);
      expect(llm.calls).toHaveLength(want.calls);
      expect(llm.calls.filter((c) => c.streamed)).toHaveLength(want.streamedCalls);
      // Calls that complete inside query() come first; streamed calls are the last ones.
      const firstStreamed = llm.calls.findIndex((c) => c.streamed);
      if (firstStreamed >= 0) expect(llm.calls.slice(firstStreamed).every((c) => c.streamed)).toBe(true);
      if (mode === "no_text" || mode === "context_only") expect(deltas).toHaveLength(1);
      else expect(deltas.length).toBeGreaterThan(0);
    });

    it(`${mode}: without streaming returns a Response after the same calls, none streamed`, async () => {
      const { llm, synth: s } = synth(mode, false);
      const res = await s.synthesize({ query: "q", nodes: nodes(want.nodes, 3) });
      expect(res).toBeInstanceOf(Response);
      expect(llm.calls).toHaveLength(want.calls);
      expect(llm.calls.some((c) => c.streamed)).toBe(false);
    });

    it(`${mode}: zero nodes still gives a StreamingResponse`, async () => {
      const { llm, synth: s } = synth(mode, true);
      const res = await s.synthesize({ query: "q", nodes: [] });
      expect(res).toBeInstanceOf(StreamingResponse);
      const text = (await collect(res)).join("");
      if (mode === "generation") {
        expect(llm.calls).toHaveLength(1);
        expect(text).toBe("ans");
      } else {
        expect(llm.calls).toHaveLength(0);
        expect(text).toBe(mode === "no_text" || mode === "context_only" ? "" : "Empty Response");
      }
    });
  }

  it("compact packs as many nodes per prompt as fit, and refines with the previous answer", async () => {
    const { llm, synth: s } = synth("compact", true);
    const res = await s.synthesize({ query: "q", nodes: nodes(4, 3) });
    await collect(res);
    expect(llm.calls[0]!.prompt).toBe("Q q C chunk0 word word word\n\nchunk1 word word word");
    expect(llm.calls[1]!.prompt).toBe("Q q A ans C chunk2 word word word\n\nchunk3 word word word");
  });

  it("generation ignores the context; context_only returns it; simple_summarize uses one prompt", async () => {
    const g = synth("generation", true);
    await collect(await g.synth.synthesize({ query: "why?", nodes: nodes(2) }));
    expect(g.llm.calls[0]!.prompt).toBe("why?");
    const c = synth("context_only", true);
    const text = (await collect(await c.synth.synthesize({ query: "q", nodes: nodes(2, 1) }))).join("");
    expect(text).toBe("chunk0 word\n\nchunk1 word");
    const s = synth("simple_summarize", false);
    await s.synth.synthesize({ query: "q", nodes: nodes(4, 3) });
    // 13 context tokens shared by 4 chunks and 3 separators: 2 tokens each.
    expect(s.llm.calls[0]!.prompt).toBe("Q q C chunk0 word\n\nchunk1 word\n\nchunk2 word\n\nchunk3 word");
  });

  it("accumulate streams each answer in order while later calls already run", async () => {
    // The first call is the slowest to produce tokens, yet its answer still comes first.
    const { llm, synth: s } = synth("accumulate", true, {
      response: (_p, i) => `answer${i}`,
      firstChunkDelayMs: (i) => (i === 0 ? 40 : 0),
    });
    const res = await s.synthesize({ query: "q", nodes: nodes(3, 1) });
    expect(llm.calls).toHaveLength(3); // all started (concurrently) before the first token
    const text = (await collect(res)).join("");
    expect(text).toBe(
      "Response 1: answer0\n---------------------\nResponse 2: answer1\n---------------------\nResponse 3: answer2",
    );
    expect(res.usage?.completionTokens).toBe(3);
  });

  it("accumulate without streaming joins the answers in the same format", async () => {
    const { synth: s } = synth("accumulate", false, { response: (_p, i) => `a${i}` });
    const res = await s.synthesize({ query: "q", nodes: nodes(2, 1) });
    expect(res.response).toBe("Response 1: a0\n---------------------\nResponse 2: a1");
  });

  it("sums the usage of every call on the final response", async () => {
    const { synth: s } = synth("refine", true);
    const res = await s.synthesize({ query: "q", nodes: nodes(3, 3) });
    const full = await res.getResponse();
    expect(full.usage?.completionTokens).toBe(3);
  });

  it("cancelling an accumulate stream aborts every call it started", async () => {
    const { llm, synth: s } = synth("accumulate", true, { chunkDelayMs: 60_000, response: "a b" });
    const res = await s.synthesize({ query: "q", nodes: nodes(3, 1) });
    const it = res[Symbol.asyncIterator]();
    await it.next();
    await res.cancel();
    expect(llm.calls.every((c) => c.aborted)).toBe(true);
  });
});
