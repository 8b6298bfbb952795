import { afterEach, describe, expect, it } from "vitest";
import {
  CitationQueryEngine,
  Document,
  getResponseSynthesizer,
  MockEmbedding,
  MockLLM,
  NotImplementedError,
  RetrieverQueryEngine,
  SentenceSplitter,
  Settings,
  SimpleChatEngine,
  VectorStoreIndex,
} from "../../src/index.js";
import type { Tokenizer } from "../../src/utils/tokenizer.js";
import { collect, FixedRetriever, nodes } from "../support/fixtures.js";

// Settings are read when an object is built (as in LlamaIndex): changing them later changes only what is built later.

afterEach(() => Settings.reset());

const docs = () => [
  new Document({ text: "The radio was invented by Marconi. It carried voices over the sea.", id: "radio" }),
  new Document({ text: "The telephone was patented by Bell. It carried voices over wires.", id: "phone" }),
];

async function index(): Promise<VectorStoreIndex> {
  return VectorStoreIndex.fromDocuments(docs(), { embedModel: new MockEmbedding() });
}

describe("the LLM is fixed when an engine is built", () => {
  it("an engine built before Settings.llm changes keeps answering with the first LLM", async () => {
    const first = new MockLLM({ response: "first" });
    const second = new MockLLM({ response: "second" });
    Settings.llm = first;
    const engine = (await index()).asQueryEngine();
    Settings.llm = second;
    const res = await engine.query("Who invented the radio?");
    expect(res.response).toBe("first");
    expect(first.calls).toHaveLength(1);
    expect(second.calls).toHaveLength(0);
  });

  it("a streaming engine too, and one built after the change uses the new LLM", async () => {
    const first = new MockLLM({ response: "first" });
    const second = new MockLLM({ response: "second" });
    Settings.llm = first;
    const idx = await index();
    const before = idx.asQueryEngine({ streaming: true });
    Settings.llm = second;
    const after = idx.asQueryEngine({ streaming: true });
    expect(await collect((await before.query("radio?")).responseGen)).toEqual(["first"]);
    expect(await collect((await after.query("radio?")).responseGen)).toEqual(["second"]);
    expect(first.streamedCalls).toBe(1);
    expect(second.streamedCalls).toBe(1);
  });

  it("a synthesizer built by hand is fixed as well, and an llm passed per call wins over Settings", async () => {
    const global = new MockLLM({ response: "global" });
    const passed = new MockLLM({ response: "passed" });
    Settings.llm = global;
    const synth = getResponseSynthesizer();
    const own = new RetrieverQueryEngine({
      retriever: new FixedRetriever(nodes(1)),
      responseSynthesizer: getResponseSynthesizer({ llm: passed }),
    });
    Settings.llm = new MockLLM({ response: "later" });
    const engine = new RetrieverQueryEngine({
      retriever: new FixedRetriever(nodes(1)),
      responseSynthesizer: synth,
    });
    expect(synth.llm).toBe(global);
    expect((await engine.query("q")).response).toBe("global");
    expect((await own.query("q")).response).toBe("passed");
    expect(global.calls).toHaveLength(1);
    expect(passed.calls).toHaveLength(1);
  });

  it("chat engines keep the LLM they were built with, also for streamChat()", async () => {
    const first = new MockLLM({ response: "first" });
    Settings.llm = first;
    const idx = await index();
    const simple = new SimpleChatEngine();
    const condense = idx.asChatEngine({ chatMode: "condense_question" });
    Settings.llm = new MockLLM({ response: "second" });
    expect((await simple.chat("hi")).response).toBe("first");
    // condense_question builds its streaming query engine on first use: with the LLM bound at construction.
    expect(await collect((await condense.streamChat("Who invented the radio?")).responseGen)).toEqual([
      "first",
    ]);
    expect(first.calls).toHaveLength(2);
  });
});

describe("the streaming check runs at construction (DESIGN §2.5)", () => {
  it("asQueryEngine({ streaming: true }) over a Settings.llm that cannot stream throws, before any retrieval", async () => {
    const embedModel = new MockEmbedding();
    const idx = await VectorStoreIndex.fromDocuments(docs(), { embedModel });
    const embedded = embedModel.batchCalls;
    const llm = new MockLLM({ streaming: false });
    Settings.llm = llm;
    expect(() => idx.asQueryEngine({ streaming: true })).toThrow(NotImplementedError);
    expect(() => idx.asQueryEngine({ streaming: true })).toThrow(/MockLLM does not support streaming/);
    expect(() => idx.asChatEngine({ chatMode: "context", streaming: true })).toThrow(NotImplementedError);
    expect(embedModel.batchCalls).toBe(embedded);
    expect(llm.calls).toHaveLength(0);
  });

  it("new RetrieverQueryEngine throws for a streaming synthesizer whose LLM cannot stream", () => {
    const retriever = new FixedRetriever(nodes(2));
    const llm = new MockLLM({ streaming: false });
    expect(() => getResponseSynthesizer({ streaming: true, llm })).toThrow(NotImplementedError);
    Settings.llm = llm;
    expect(
      () =>
        new RetrieverQueryEngine({
          retriever,
          responseSynthesizer: getResponseSynthesizer({ streaming: true }),
        }),
    ).toThrow(NotImplementedError);
    expect(retriever.calls).toBe(0);
    expect(llm.calls).toHaveLength(0);
  });

  it("a streaming engine built over a streaming LLM is not broken by a later Settings.llm that cannot stream", async () => {
    const good = new MockLLM({ response: "ok" });
    Settings.llm = good;
    const engine = (await index()).asQueryEngine({ streaming: true });
    Settings.llm = new MockLLM({ streaming: false });
    expect(await collect((await engine.query("radio?")).responseGen)).toEqual(["ok"]);
  });
});

describe("an index keeps the embedding model and split sizes it was built with", () => {
  it("queries are embedded with the index's model even after Settings.embedModel changes", async () => {
    const built = new MockEmbedding();
    Settings.embedModel = built;
    Settings.llm = new MockLLM({ response: "x" });
    const idx = await VectorStoreIndex.fromDocuments(docs());
    const other = new MockEmbedding({ dimensions: 8 });
    Settings.embedModel = other;
    const before = built.batchCalls;
    const hits = await idx.asRetriever({ similarityTopK: 1 }).retrieve("Who invented the radio?");
    expect(hits[0]?.node.text).toMatch(/Marconi/);
    expect(built.batchCalls).toBe(before + 1);
    expect(other.batchCalls).toBe(0);
    await idx.insert(new Document({ text: "The television came later.", id: "tv" }));
    expect(other.batchCalls).toBe(0);
  });

  it("an embedModel passed per call wins over Settings", async () => {
    const passed = new MockEmbedding();
    const global = new MockEmbedding();
    Settings.embedModel = global;
    const idx = await VectorStoreIndex.fromDocuments(docs(), { embedModel: passed });
    expect(idx.embedModel).toBe(passed);
    expect(global.batchCalls).toBe(0);
  });

  it("insert() splits with Settings.chunkSize/chunkOverlap as they were when the index was built", async () => {
    const long = Array.from({ length: 80 }, (_, i) => `Sentence number ${i} is about radio waves.`).join(" ");
    Settings.chunkSize = 64;
    Settings.chunkOverlap = 8;
    const idx = await VectorStoreIndex.fromNodes([], { embedModel: new MockEmbedding() });
    const expected = new SentenceSplitter({ chunkSize: 64, chunkOverlap: 8 }).getNodesFromDocuments([
      new Document({ text: long, id: "long" }),
    ]).length;
    Settings.chunkSize = 1024;
    Settings.chunkOverlap = 200;
    await idx.insert(new Document({ text: long, id: "long" }));
    expect(expected).toBeGreaterThan(1);
    expect(idx.docStore.size).toBe(expected);
  });
});

/** A tokenizer that records `name` in `counted` each time it counts. */
function countingTokenizer(counted: string[]): (name: string) => Tokenizer {
  const base = Settings.tokenizer;
  return (name) => ({
    encode: (t) => base.encode(t),
    decode: (t) => base.decode(t),
    countTokens: (t) => {
      counted.push(name);
      return base.countTokens(t);
    },
  });
}

describe("the tokenizer is fixed when a synthesizer is built", () => {
  it("a Settings.tokenizer set before the build counts the prompts, one set after does not", async () => {
    const counted: string[] = [];
    const counting = countingTokenizer(counted);
    Settings.llm = new MockLLM({ response: "x" });
    Settings.tokenizer = counting("built");
    const engine = new RetrieverQueryEngine({ retriever: new FixedRetriever(nodes(2)) });
    Settings.tokenizer = counting("later");
    await engine.query("q");
    expect(counted).toContain("built");
    expect(counted).not.toContain("later");
  });

  it("a SentenceSplitter and a CitationQueryEngine count with the tokenizer set when they were built", async () => {
    const counted: string[] = [];
    const counting = countingTokenizer(counted);
    Settings.llm = new MockLLM({ response: "x" });
    Settings.tokenizer = counting("built");
    const splitter = new SentenceSplitter({ chunkSize: 32, chunkOverlap: 4 });
    const engine = new CitationQueryEngine({ retriever: new FixedRetriever(nodes(2)) });
    Settings.tokenizer = counting("later");
    splitter.splitText("Radio waves carry voices. Wires carry them too. ".repeat(20));
    await engine.query("q");
    expect(counted).toContain("built");
    expect(counted).not.toContain("later");
  });
});
