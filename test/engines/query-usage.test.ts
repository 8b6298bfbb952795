// Usage for the whole query: the query embedding's tokens (embeddingTokens, apart from the LLM's totalTokens),
// every LLM call before the answer's own (estimated when the provider reports none), a chat engine's condensing
// call, and the usage known so far when a query fails.
import { afterEach, describe, expect, it } from "vitest";
import {
  CondenseQuestionChatEngine,
  ContextChatEngine,
  Document,
  MockEmbedding,
  MockLLM,
  Settings,
  SimpleChatEngine,
  type StreamdexEvent,
  VectorStoreIndex,
} from "../../src/index.js";
import { UsageMeter } from "../../src/instrumentation/usage-meter.js";
import { contentWords } from "../../src/utils/text.js";
import { defaultTokenizer } from "../../src/utils/tokenizer.js";

const offs: (() => void)[] = [];
afterEach(() => {
  for (const off of offs.splice(0)) off();
});

const QUERY = "Who keeps the lighthouse on the northern island?";
const DOCS = [
  "The lighthouse keeper lives on the northern island with a cat.",
  "The southern island has a harbour and a bakery.",
  "Ferries run twice a day between the islands.",
];

async function index(embedModel = new MockEmbedding()) {
  return VectorStoreIndex.fromDocuments(
    DOCS.map((text) => new Document({ text })),
    { embedModel },
  );
}

describe("the query embedding's tokens", () => {
  it("are in usage.embeddingTokens (streamed and not), apart from the LLM's totalTokens", async () => {
    const idx = await index();
    const llm = new MockLLM({ response: "The keeper does." });
    const streamed = await idx.asQueryEngine({ streaming: true, llm }).query(QUERY);
    await streamed.getResponse();
    const plain = await idx.asQueryEngine({ llm }).query(QUERY);
    const words = contentWords(QUERY).length;
    expect(words).toBeGreaterThan(2);
    for (const usage of [streamed.usage, plain.usage]) {
      expect(usage?.embeddingTokens).toBe(words);
      expect(usage!.totalTokens).toBe(usage!.promptTokens + usage!.completionTokens);
      expect(usage?.estimated).toBeUndefined(); // the mock embedding knows its own tokens
    }
  });

  it("a retriever-less answer (no_text) still reports them; an empty index embeds nothing and reports none", async () => {
    const idx = await index();
    const res = await idx.asQueryEngine({ responseMode: "no_text" }).query(QUERY);
    expect(res.usage).toEqual({
      promptTokens: 0,
      completionTokens: 0,
      totalTokens: 0,
      embeddingTokens: contentWords(QUERY).length,
    });
    const empty = await VectorStoreIndex.fromDocuments([], { embedModel: new MockEmbedding() });
    const none = await empty.asQueryEngine({ llm: new MockLLM() }).query(QUERY);
    expect(none.usage?.embeddingTokens).toBeUndefined();
  });

  it("an embedding model that does not know its tokenizer is counted with cl100k and flagged estimated", async () => {
    class PlainEmbedding extends MockEmbedding {
      protected override countQueryTokens(query: string) {
        return { tokens: defaultTokenizer().countTokens(query), estimated: true };
      }
    }
    const idx = await index(new PlainEmbedding());
    const res = await idx.asQueryEngine({ llm: new MockLLM() }).query(QUERY);
    expect(res.usage?.embeddingTokens).toBe(defaultTokenizer().countTokens(QUERY));
    expect(res.usage?.estimated).toBe(true);
  });

  it("chat engines count their retrieval's query embedding", async () => {
    const idx = await index();
    const chat = new ContextChatEngine({ retriever: idx.asRetriever(), llm: new MockLLM(), streaming: true });
    const res = await chat.chat(QUERY);
    await res.getResponse();
    expect(res.usage?.embeddingTokens).toBe(contentWords(QUERY).length);
  });
});

describe("every LLM call of the query", () => {
  it("condense_question: the condensing call is in the answer's usage", async () => {
    const idx = await index();
    const llm = new MockLLM({ response: "The keeper does." });
    const chat = new CondenseQuestionChatEngine({
      queryEngine: idx.asQueryEngine({ streaming: true, llm }),
    });
    await (await chat.chat("Who keeps the lighthouse?")).getResponse();
    const second = await chat.chat("And on which island?");
    await second.getResponse();
    expect(llm.calls).toHaveLength(3); // answer, condense, answer
    const [condense, answer] = [llm.calls[1]!, llm.calls[2]!];
    const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
    expect(second.usage?.promptTokens).toBe(words(condense.prompt) + words(answer.prompt));
    expect(second.usage?.embeddingTokens).toBeGreaterThan(0);
  });

  it("a chat engine's call whose provider reports no usage is counted with the model's tokenizer (estimated)", async () => {
    const llm = new MockLLM({ response: "Condensed question here", reportUsage: false });
    const answerer = new MockLLM({ response: "ok" });
    const idx = await index();
    const chat = new CondenseQuestionChatEngine({ queryEngine: idx.asQueryEngine({ llm: answerer }), llm });
    await chat.chat("first");
    const res = await chat.chat("second");
    expect(llm.calls).toHaveLength(1);
    expect(res.usage?.estimated).toBe(true);
    const words = answerer.calls[1]!.prompt.split(/\s+/).filter(Boolean).length;
    expect(res.usage!.promptTokens).toBe(defaultTokenizer().countTokens(llm.calls[0]!.prompt) + words);
    expect(res.usage!.completionTokens).toBe(defaultTokenizer().countTokens("Condensed question here") + 1);
  });

  it("a query that fails reports the usage known so far on its query-end event", async () => {
    const idx = await index();
    const events: StreamdexEvent[] = [];
    offs.push(Settings.events.on("query-end", (e) => events.push(e)));
    const llm = new MockLLM({
      response: "draft",
      failOnStart: (i) => (i === 1 ? new Error("provider down") : undefined),
    });
    await expect(
      idx.asQueryEngine({ llm, responseMode: "refine", similarityTopK: 3, streaming: true }).query(QUERY),
    ).rejects.toThrow();
    const end = events.find((e) => e.type === "query-end");
    expect(end && "error" in end && end.error).toBeTruthy();
    const usage = end?.type === "query-end" ? end.usage : undefined;
    expect(usage?.embeddingTokens).toBe(contentWords(QUERY).length);
    expect(usage?.promptTokens).toBe(llm.calls[0]!.prompt.split(/\s+/).filter(Boolean).length);
    expect(end?.type === "query-end" && end.timings?.retrieveMs).toBeGreaterThanOrEqual(0);
  });

  it("a simple chat engine (no retrieval) reports no embedding tokens", async () => {
    const res = await new SimpleChatEngine({ llm: new MockLLM() }).chat("hello there");
    expect(res.usage?.embeddingTokens).toBeUndefined();
    expect(res.usage?.totalTokens).toBeGreaterThan(0);
  });
});

describe("UsageMeter", () => {
  it("adds calls, estimates the ones without usage, and keeps embedding tokens out of totalTokens", () => {
    const meter = new UsageMeter();
    expect(meter.total).toBeUndefined();
    meter.addEmbedding({ tokens: 5 });
    meter.addCall(
      { prompt: "a b", text: "c", usage: { promptTokens: 2, completionTokens: 1, totalTokens: 3 } },
      defaultTokenizer(),
    );
    expect(meter.total).toEqual({ promptTokens: 2, completionTokens: 1, totalTokens: 3, embeddingTokens: 5 });
    meter.addCall({ prompt: "hello world", text: "hi", reasoning: "hmm" }, defaultTokenizer());
    expect(meter.total?.estimated).toBe(true);
    expect(meter.total?.reasoningTokens).toBe(defaultTokenizer().countTokens("hmm"));
  });
});
