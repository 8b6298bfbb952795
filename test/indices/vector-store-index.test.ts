import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  Document,
  InvalidArgumentError,
  loadIndexFromStorage,
  MockEmbedding,
  MockLLM,
  SentenceSplitter,
  Settings,
  SimilarityPostprocessor,
  StreamdexError,
  storageContextFromDefaults,
  TextNode,
  VectorStoreIndex,
} from "../../src/index.js";
import { collect } from "../support/fixtures.js";

const docs = () => [
  new Document({ id: "cats", text: "Cats purr and sleep on warm windowsills all afternoon." }),
  new Document({ id: "tides", text: "Tide tables predict high water at the harbour twice a day." }),
  new Document({ id: "radio", text: "A crystal radio needs a coil of copper wire and headphones." }),
];

afterEach(() => Settings.reset());

describe("VectorStoreIndex", () => {
  it("fromDocuments splits, embeds in batches and retrieves the most similar node first", async () => {
    const embedModel = new MockEmbedding({ dimensions: 128, embedBatchSize: 2 });
    const index = await VectorStoreIndex.fromDocuments(docs(), { embedModel });
    expect(embedModel.batchCalls).toBe(2);
    const nodes = await index.asRetriever({ similarityTopK: 2 }).retrieve("copper wire radio");
    expect(nodes).toHaveLength(2);
    expect(nodes[0]!.node.refDocId).toBe("radio");
    expect(nodes[0]!.score!).toBeGreaterThan(nodes[1]!.score!);
  });

  it("fromNodes stores nodes as given: no splitter runs", async () => {
    const long = "word ".repeat(3000);
    const embedModel = new MockEmbedding();
    const index = await VectorStoreIndex.fromNodes([new TextNode({ id: "big", text: long })], { embedModel });
    expect(index.docStore.size).toBe(1);
    const res = await index.vectorStore.query({
      queryEmbedding: await embedModel.getQueryEmbedding("word"),
      similarityTopK: 1,
    });
    expect(res.ids).toEqual(["big"]);
    expect(res.similarities[0]).toBeCloseTo(1, 5);
  });

  it("uses Settings by default and per-call values when given", async () => {
    Settings.embedModel = new MockEmbedding({ dimensions: 16 });
    Settings.chunkSize = 8;
    Settings.chunkOverlap = 0;
    const byGlobal = await VectorStoreIndex.fromDocuments(docs());
    expect(byGlobal.docStore.size).toBeGreaterThan(3);
    const perCall = new MockEmbedding({ dimensions: 32 });
    const byOption = await VectorStoreIndex.fromDocuments(docs(), { embedModel: perCall, chunkSize: 512 });
    expect(byOption.docStore.size).toBe(3);
    expect(perCall.batchCalls).toBe(1);
    expect(byOption.embedModel).toBe(perCall);
  });

  it("insert adds a document and deleteRefDoc removes all of its nodes", async () => {
    const embedModel = new MockEmbedding();
    const index = await VectorStoreIndex.fromDocuments(docs(), { embedModel });
    await index.insert(
      new Document({ id: "bread", text: "Honey cake and bean stew from the harbour town." }),
    );
    let top = await index.asRetriever({ similarityTopK: 1 }).retrieve("honey cake");
    expect(top[0]!.node.refDocId).toBe("bread");
    await index.deleteRefDoc("bread");
    top = await index.asRetriever({ similarityTopK: 1 }).retrieve("honey cake");
    expect(top[0]!.node.refDocId).not.toBe("bread");
    expect([...index.docStore.docs].some((n) => n.refDocId === "bread")).toBe(false);
  });

  it("insert splits a document as fromDocuments split the index's, unless told otherwise", async () => {
    const text = Array.from({ length: 60 }, (_, i) => `Sentence number ${i} is about the harbour.`).join(" ");
    const count = async (index: VectorStoreIndex, id: string) =>
      [...index.docStore.docs].filter((n) => n.refDocId === id).length;
    const index = await VectorStoreIndex.fromDocuments([new Document({ id: "a", text })], {
      embedModel: new MockEmbedding(),
      chunkSize: 64,
      chunkOverlap: 8,
    });
    const built = await count(index, "a");
    expect(built).toBeGreaterThan(5);
    await index.insert(new Document({ id: "b", text }));
    expect(await count(index, "b")).toBe(built);
    await index.insert(new Document({ id: "c", text }), { chunkSize: 256, chunkOverlap: 0 });
    expect(await count(index, "c")).toBeLessThan(built);
    const byParser = await VectorStoreIndex.fromDocuments([new Document({ id: "a", text })], {
      embedModel: new MockEmbedding(),
      nodeParser: new SentenceSplitter({ chunkSize: 100, chunkOverlap: 0 }),
    });
    await byParser.insert(new Document({ id: "b", text }));
    expect(await count(byParser, "b")).toBe(await count(byParser, "a"));
  });

  it("streams an answer end to end, with sources filtered by a similarity cutoff", async () => {
    const llm = new MockLLM({ response: "Copper wire.", chunking: "char" });
    const index = await VectorStoreIndex.fromDocuments(docs(), { embedModel: new MockEmbedding() });
    const engine = index.asQueryEngine({
      streaming: true,
      similarityTopK: 3,
      llm,
      nodePostprocessors: [new SimilarityPostprocessor({ similarityCutoff: 0.3 })],
    });
    const res = await engine.query("what does a crystal radio need?");
    expect(res.sourceNodes.map((n) => n.node.refDocId)).toEqual(["radio"]);
    expect((await collect(res)).join("")).toBe("Copper wire.");
    expect(llm.calls[0]!.prompt).toContain("copper wire and headphones");
  });

  it("persists atomically and loads back to the same answers", async () => {
    const dir = await mkdtemp(join(tmpdir(), "streamdex-index-"));
    try {
      const embedModel = new MockEmbedding();
      const index = await VectorStoreIndex.fromDocuments(docs(), { embedModel });
      await index.persist(dir);
      const loaded = await loadIndexFromStorage(await storageContextFromDefaults({ persistDir: dir }), {
        embedModel,
      });
      const [a, b] = await Promise.all(
        [index, loaded].map((i) => i.asRetriever({ similarityTopK: 3 }).retrieve("harbour tide")),
      );
      expect(b!.map((n) => [n.node.id, n.node.text, n.score])).toEqual(
        a!.map((n) => [n.node.id, n.node.text, n.score]),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("bad input gets a typed error saying what to do", () => {
  const embedModel = new MockEmbedding();
  it("an empty document list is not an error: it gives an empty index (see vector-store-index-empty.test.ts)", async () => {
    const index = await VectorStoreIndex.fromDocuments([], { embedModel });
    expect(index.docStore.size).toBe(0);
  });
  it("a document with empty text, named", async () => {
    const err = await VectorStoreIndex.fromDocuments([new Document({ id: "blank", text: "  " })], {
      embedModel,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toContain('"blank"');
  });
  it("things that are not documents", async () => {
    await expect(VectorStoreIndex.fromDocuments("text" as never, { embedModel })).rejects.toThrow(
      /array of Document/,
    );
    await expect(VectorStoreIndex.fromDocuments([{ text: "x" }] as never, { embedModel })).rejects.toThrow(
      /new Document/,
    );
  });
  it("similarityTopK <= 0 or not an integer, at construction", async () => {
    const index = await VectorStoreIndex.fromDocuments(docs(), { embedModel });
    expect(() => index.asRetriever({ similarityTopK: 0 })).toThrow(InvalidArgumentError);
    expect(() => index.asQueryEngine({ similarityTopK: -1 })).toThrow(/similarityTopK: must be >= 1/);
    expect(() => index.asQueryEngine({ similarityTopK: 1.5 })).toThrow(/integer/);
  });
  it("no embedding model configured", async () => {
    const err = await VectorStoreIndex.fromDocuments(docs()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamdexError);
    expect((err as Error).message).toMatch(/Settings.embedModel/);
  });
  it("no LLM configured, before any retrieval", async () => {
    const index = await VectorStoreIndex.fromDocuments(docs(), { embedModel });
    // Settings are read when the engine is built: asQueryEngine itself throws.
    expect(() => index.asQueryEngine({ streaming: true })).toThrow(/No LLM configured/);
  });
  it("a custom splitter is honoured by fromDocuments", async () => {
    const index = await VectorStoreIndex.fromDocuments(docs(), {
      embedModel,
      nodeParser: new SentenceSplitter({ chunkSize: 4, chunkOverlap: 0 }),
    });
    expect(index.docStore.size).toBeGreaterThan(6);
  });
});
