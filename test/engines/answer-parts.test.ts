// The answer as typed parts through the query engine: reasoning kept apart (never in the text, nor in a later
// call's prompt), usage known so far on error and cancel, timings on every end, errors and cancels as parts.
import { afterEach, describe, expect, it } from "vitest";
import {
  type AnswerPart,
  getResponseSynthesizer,
  MockLLM,
  type MockLLMOptions,
  type ResponseMode,
  RetrieverQueryEngine,
  Settings,
  StreamdexError,
  type StreamdexEvent,
} from "../../src/index.js";
import { FixedRetriever, nodes } from "../support/fixtures.js";

const offs: (() => void)[] = [];
afterEach(() => {
  for (const off of offs.splice(0)) off();
});

function engine(llm: MockLLM, responseMode: ResponseMode = "compact", n = 1) {
  return new RetrieverQueryEngine({
    retriever: new FixedRetriever(nodes(n)),
    responseSynthesizer: getResponseSynthesizer({ streaming: true, responseMode, llm }),
  });
}
const thinking = (o: MockLLMOptions = {}) =>
  new MockLLM({ response: "The answer is here.", reasoning: (_p, i) => `Thought-${i} about it.`, ...o });

async function allParts(parts: AsyncIterable<AnswerPart>): Promise<AnswerPart[]> {
  const out: AnswerPart[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

describe("reasoning is never part of the answer", () => {
  it("refine: no later call's prompt holds an earlier call's reasoning; only the answer's own is reported", async () => {
    const llm = thinking();
    const res = await engine(llm, "refine", 3).query("q");
    await res.getResponse();
    expect(llm.calls).toHaveLength(3);
    for (const call of llm.calls) expect(call.prompt).not.toMatch(/Thought-/);
    expect(llm.calls[2]!.prompt).toContain("The answer is here."); // the draft is refined, without its reasoning
    expect(res.reasoningTxt).toBe("Thought-2 about it.");
    expect(res.responseTxt).toBe("The answer is here.");
    expect(res.usage?.reasoningTokens).toBe(3 * 3); // three words of reasoning in each of three calls
  });

  it("a non-streaming answer has the final call's reasoning on Response.reasoning, apart from the text", async () => {
    const llm = thinking();
    const synth = getResponseSynthesizer({ responseMode: "refine", llm });
    const res = await new RetrieverQueryEngine({
      retriever: new FixedRetriever(nodes(2)),
      responseSynthesizer: synth,
    }).query("q");
    expect(res.response).toBe("The answer is here.");
    expect(res.reasoning).toBe("Thought-1 about it.");
    expect(res.timings?.priorCallsMs).toBeGreaterThanOrEqual(0);
  });

  it("parts: sources, reasoning, text, finish with usage and timings, in that order", async () => {
    const res = await engine(thinking()).query("q");
    const parts = await allParts(res.parts);
    expect(parts.map((p) => p.type)).toEqual([
      "sources",
      "reasoning-delta",
      "reasoning-delta",
      "reasoning-delta",
      "text-delta",
      "text-delta",
      "text-delta",
      "text-delta",
      "finish",
    ]);
    const finish = parts.at(-1) as Extract<AnswerPart, { type: "finish" }>;
    expect(finish.usage).toMatchObject({ reasoningTokens: 3, completionTokens: 7 });
    expect(finish.timings).toBe(res.timings);
    const t = res.timings!;
    expect(t.retrieveMs).toBeGreaterThanOrEqual(0);
    expect(t.priorCallsMs).toBeUndefined(); // compact: one call
    expect(t.ttfrMs).toBeLessThanOrEqual(t.ttftMs!);
    expect(t.ttftMs).toBeLessThanOrEqual(t.totalMs);
    expect(t.tokensPerSecond).toBeGreaterThan(0);
    // Read again after the end: the whole reasoning, then the whole text, then finish.
    expect((await allParts(res.parts)).map((p) => p.type)).toEqual([
      "sources",
      "reasoning-delta",
      "text-delta",
      "finish",
    ]);
  });
});

describe("errors, cancels and timings", () => {
  it("an error mid-stream is the last part, typed, with the partial text; usage of earlier calls and timings stay", async () => {
    const llm = new MockLLM({ response: "one two three four", failAfterChunks: 2 });
    // refine over two nodes: the first call completes (its usage is known), the streamed second one fails.
    const res = await engine(llm, "refine", 2).query("q");
    const parts = await allParts(res.parts);
    const last = parts.at(-1)!;
    expect(last.type).toBe("error");
    if (last.type !== "error") return;
    expect(last.error).toBeInstanceOf(StreamdexError);
    expect(last.partialText).toBe("one two");
    // The first call's reported usage (4 words), plus the failed call's counted as far as it was delivered.
    expect(res.usage).toMatchObject({
      completionTokens: 4 + Settings.tokenizer.countTokens("one two"),
      estimated: true,
    });
    expect(res.timings?.totalMs).toBeGreaterThan(0);
    expect(res.timings?.priorCallsMs).toBeGreaterThanOrEqual(0);
  });

  it("usage the provider does not report is counted with the tokenizer and flagged estimated", async () => {
    const llm = new MockLLM({
      response: "The answer is here.",
      reasoning: "Let me think.",
      reportUsage: false,
    });
    const res = await engine(llm).query("q");
    await res.getResponse();
    const t = Settings.tokenizer;
    expect(res.usage).toEqual({
      promptTokens: t.countTokens(llm.calls[0]!.prompt),
      completionTokens: t.countTokens("The answer is here.") + t.countTokens("Let me think."),
      totalTokens:
        t.countTokens(llm.calls[0]!.prompt) +
        t.countTokens("The answer is here.") +
        t.countTokens("Let me think."),
      reasoningTokens: t.countTokens("Let me think."),
      estimated: true,
    });
    // Reported usage is taken as it is: no estimate.
    const reported = await engine(thinking()).query("q");
    await reported.getResponse();
    expect(reported.usage?.estimated).toBeUndefined();
  });

  it("a cancelled answer reports the usage so far: what was delivered, counted", async () => {
    const llm = new MockLLM({ response: Array(50).fill("w").join(" ") });
    const res = await engine(llm).query("q");
    let seen = 0;
    for await (const _ of res.responseGen) if (++seen === 3) break;
    expect(res.usage).toMatchObject({
      completionTokens: Settings.tokenizer.countTokens(res.responseTxt),
      estimated: true,
    });
    expect(res.usage!.promptTokens).toBeGreaterThan(0);
  });

  it("accumulate: each call the provider reports no usage for is counted from its own prompt and answer", async () => {
    const llm = new MockLLM({ response: (_p, i) => `Answer number ${i}.`, reportUsage: false });
    const res = await engine(llm, "accumulate", 3).query("q");
    await res.getResponse();
    expect(llm.calls).toHaveLength(3);
    const t = Settings.tokenizer;
    const prompts = llm.calls.reduce((n, c) => n + t.countTokens(c.prompt), 0);
    const answers = [0, 1, 2].reduce((n, i) => n + t.countTokens(`Answer number ${i}.`), 0);
    expect(res.usage).toEqual({
      promptTokens: prompts,
      completionTokens: answers,
      totalTokens: prompts + answers,
      estimated: true,
    });
  });

  it("accumulate, cancelled in the second answer: the first call's usage, the second's so far, the third's prompt", async () => {
    const llm = new MockLLM({ response: (_p, i) => Array(20).fill(`w${i}`).join(" ") });
    const synth = getResponseSynthesizer({
      streaming: true,
      responseMode: "accumulate",
      llm,
      maxConcurrency: 2,
    });
    const res = await new RetrieverQueryEngine({
      retriever: new FixedRetriever(nodes(3)),
      responseSynthesizer: synth,
    }).query("q");
    let second = 0;
    for await (const text of res.responseGen) if (text.includes("w1") && ++second === 4) break;
    const [first, call2, call3] = llm.calls;
    expect(first?.finished).toBe(true);
    expect(call2?.aborted).toBe(true);
    const t = Settings.tokenizer;
    const words = (p: string) => p.split(/\s+/).filter(Boolean).length;
    const secondText = res.responseTxt.slice(res.responseTxt.indexOf("Response 2: ") + "Response 2: ".length);
    // Call 1 as the provider reported it; call 2 as far as it was read and call 3's prompt, counted.
    const promptTokens =
      words(first!.prompt) + t.countTokens(call2!.prompt) + (call3 ? t.countTokens(call3.prompt) : 0);
    expect(res.usage).toMatchObject({
      promptTokens,
      completionTokens: 20 + t.countTokens(secondText),
      estimated: true,
    });
  });

  it("cancel() while reading parts ends them with a cancelled part, and the provider call is aborted", async () => {
    const llm = thinking({ response: Array(50).fill("w").join(" ") });
    const res = await engine(llm).query("q");
    const seen: AnswerPart["type"][] = [];
    for await (const part of res.parts) {
      seen.push(part.type);
      if (part.type === "text-delta") await res.cancel();
    }
    expect(seen.at(-1)).toBe("cancelled");
    expect(seen.filter((t) => t === "text-delta")).toHaveLength(1);
    expect(llm.calls[0]!.aborted).toBe(true);
    expect(res.timings?.ttftMs).toBeDefined();
  });

  it("break out of parts cancels the answer like break out of responseGen", async () => {
    const llm = thinking({ response: Array(50).fill("w").join(" ") });
    const res = await engine(llm).query("q");
    for await (const part of res.parts) if (part.type === "reasoning-delta") break;
    expect(res.cancelled).toBe(true);
    expect(llm.calls[0]!.aborted).toBe(true);
    expect(llm.calls[0]!.chunksProduced).toBe(1);
    expect(res.reasoningTxt).toBe("Thought-0");
    expect(res.responseTxt).toBe("");
  });

  it("query-end events carry the usage and timings, on a normal end and on cancel", async () => {
    const ends: Extract<StreamdexEvent, { type: "query-end" }>[] = [];
    offs.push(Settings.events.on("query-end", (e) => ends.push(e)));
    const done = await engine(thinking()).query("q");
    await done.getResponse();
    const cancelled = await engine(thinking()).query("q");
    await cancelled.cancel();
    expect(ends).toHaveLength(2);
    expect(ends[0]!.timings).toBe(done.timings);
    expect(ends[0]!.usage?.reasoningTokens).toBe(3);
    expect(ends[1]).toMatchObject({ cancelled: true });
    expect(ends[1]!.timings?.totalMs).toBeGreaterThanOrEqual(0);
  });
});
