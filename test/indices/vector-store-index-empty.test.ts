import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  CHAT_MODES,
  Document,
  type EmbedCallOptions,
  loadIndexFromStorage,
  MockEmbedding,
  MockLLM,
  Response,
  Settings,
  SimpleVectorStore,
  StreamingResponse,
  storageContextFromDefaults,
  TextNode,
  VectorStoreIndex,
} from "../../src/index.js";
import { AnnVectorStore } from "../../src/storage/vector-store/ann/index.js";
import { collect } from "../support/fixtures.js";

/** A MockEmbedding that also counts query embeddings (`batchCalls` counts every provider-like request). */
class CountingEmbedding extends MockEmbedding {
  queries = 0;
  override async getQueryEmbedding(query: string, options?: EmbedCallOptions): Promise<Float32Array> {
    this.queries++;
    return super.getQueryEmbedding(query, options);
  }
}

const radio = () =>
  new Document({ id: "radio", text: "A crystal radio needs a coil of copper wire and headphones." });
const tides = () =>
  new Document({ id: "tides", text: "Tide tables predict high water at the harbour twice a day." });

afterEach(() => Settings.reset());

describe("an empty index is valid, as in LlamaIndex", () => {
  const builders = {
    fromDocuments: (embedModel: CountingEmbedding) => VectorStoreIndex.fromDocuments([], { embedModel }),
    fromNodes: (embedModel: CountingEmbedding) => VectorStoreIndex.fromNodes([], { embedModel }),
  };

  for (const [name, build] of Object.entries(builders)) {
    it(`${name}([]) gives an empty index; insert fills it and a query then finds the document`, async () => {
      const embedModel = new CountingEmbedding();
      const index = await build(embedModel);
      expect(index.docStore.size).toBe(0);
      expect(index.vectorStore.size).toBe(0);
      expect(await index.asRetriever().retrieve("copper wire")).toEqual([]);
      expect(embedModel.batchCalls).toBe(0);

      await index.insert(radio());
      await index.insert(tides());
      expect(index.docStore.size).toBe(2);
      const top = await index.asRetriever({ similarityTopK: 1 }).retrieve("copper wire for a radio");
      expect(top.map((n) => n.node.refDocId)).toEqual(["radio"]);

      const llm = new MockLLM({ response: "Copper wire." });
      const res = await index
        .asQueryEngine({ streaming: true, similarityTopK: 1, llm })
        .query("what does a crystal radio need?");
      expect(res.sourceNodes.map((n) => n.node.refDocId)).toEqual(["radio"]);
      expect((await collect(res)).join("")).toBe("Copper wire.");
      expect(llm.calls).toHaveLength(1);
      expect(llm.calls[0]!.prompt).toContain("copper wire and headphones");
    });
  }

  it("fromNodes([]) then insertNodes fills it too", async () => {
    const embedModel = new CountingEmbedding();
    const index = await VectorStoreIndex.fromNodes([], { embedModel });
    await index.insertNodes([new TextNode({ id: "n", text: "copper wire" })]);
    const top = await index.asRetriever({ similarityTopK: 1 }).retrieve("copper");
    expect(top.map((n) => n.node.id)).toEqual(["n"]);
  });

  it("needs no embedding model until something is embedded (Settings.embedModel may be set later)", async () => {
    const index = await VectorStoreIndex.fromDocuments([]);
    const res = await index.asQueryEngine({ llm: new MockLLM() }).query("anything?");
    expect(res.response).toBe("Empty Response");
    await expect(index.insert(radio())).rejects.toThrow(/No embedding model configured/);
    Settings.embedModel = new MockEmbedding();
    await index.insert(radio());
    expect(index.docStore.size).toBe(1);
  });

  it("the retriever returns [] without embedding the query", async () => {
    const embedModel = new CountingEmbedding();
    const index = await VectorStoreIndex.fromDocuments([], { embedModel });
    expect(await index.asRetriever({ similarityTopK: 3 }).retrieve("anything at all")).toEqual([]);
    const override = new CountingEmbedding();
    expect(await index.asRetriever({ embedModel: override }).retrieve("anything")).toEqual([]);
    expect([embedModel.queries, embedModel.batchCalls, override.queries, override.batchCalls]).toEqual([
      0, 0, 0, 0,
    ]);
  });

  it("an index emptied by deleteRefDoc is queried without embedding too", async () => {
    const embedModel = new CountingEmbedding();
    const index = await VectorStoreIndex.fromDocuments([radio()], { embedModel });
    await index.deleteRefDoc("radio");
    const before = embedModel.batchCalls;
    expect(await index.asRetriever().retrieve("copper")).toEqual([]);
    expect(embedModel.queries).toBe(0);
    expect(embedModel.batchCalls).toBe(before);
  });

  it("a streaming query gives a StreamingResponse with zero sources and the empty-response text, no LLM or embedding call", async () => {
    const embedModel = new CountingEmbedding();
    const index = await VectorStoreIndex.fromDocuments([], { embedModel });
    const llm = new MockLLM({ response: "should not be asked" });
    const res = await index.asQueryEngine({ streaming: true, llm }).query("What did the author do?");
    expect(res).toBeInstanceOf(StreamingResponse);
    expect(res.sourceNodes).toEqual([]);
    expect((await collect(res)).join("")).toBe("Empty Response");
    expect(res.responseTxt).toBe("Empty Response");
    const final = await res.getResponse();
    expect(final.response).toBe("Empty Response");
    expect(final.sourceNodes).toEqual([]);
    expect(llm.calls).toHaveLength(0);
    expect(embedModel.queries).toBe(0);
    expect(embedModel.batchCalls).toBe(0);
  });

  it("a non-streaming query gives a Response with the empty-response text (a custom one too), no calls", async () => {
    const embedModel = new CountingEmbedding();
    const index = await VectorStoreIndex.fromNodes([], { embedModel });
    const llm = new MockLLM();
    const modes = ["compact", "refine", "tree_summarize", "simple_summarize", "accumulate"] as const;
    for (const responseMode of modes) {
      const res = await index.asQueryEngine({ llm, responseMode }).query("What did the author do?");
      expect(res).toBeInstanceOf(Response);
      expect(res.response).toBe("Empty Response");
      expect(res.sourceNodes).toEqual([]);
    }
    const custom = await index
      .asQueryEngine({ llm, streaming: true, emptyResponseText: "Nothing indexed yet." })
      .query("q");
    expect((await custom.getResponse()).response).toBe("Nothing indexed yet.");
    expect(llm.calls).toHaveLength(0);
    expect(embedModel.batchCalls).toBe(0);
  });

  it("chat engines on an empty index: no embedding call; context modes answer without context", async () => {
    // As in LlamaIndex: context engines still ask the LLM (with an empty context); condense_question goes through
    // the query engine, which answers with the empty-response text without an LLM call.
    const expectedCalls = { simple: 1, context: 1, condense_question: 0, condense_plus_context: 1 };
    for (const chatMode of CHAT_MODES) {
      const embedModel = new CountingEmbedding();
      const index = await VectorStoreIndex.fromDocuments([], { embedModel });
      const llm = new MockLLM({ response: "Hello." });
      const res = await index.asChatEngine({ chatMode, streaming: true, llm }).chat("What is in the index?");
      expect(res).toBeInstanceOf(StreamingResponse);
      expect(res.sourceNodes).toEqual([]);
      expect((await res.getResponse()).response).toBe(
        chatMode === "condense_question" ? "Empty Response" : "Hello.",
      );
      expect({ chatMode, calls: llm.calls.length }).toEqual({ chatMode, calls: expectedCalls[chatMode] });
      expect({ chatMode, embeds: embedModel.batchCalls }).toEqual({ chatMode, embeds: 0 });
    }
  });

  it("persists and loads back empty; insert after load, persist again and load again", async () => {
    const dir = await mkdtemp(join(tmpdir(), "streamdex-empty-index-"));
    try {
      const embedModel = new CountingEmbedding();
      const index = await VectorStoreIndex.fromDocuments([], { embedModel });
      await index.persist(dir);
      const loaded = await loadIndexFromStorage(await storageContextFromDefaults({ persistDir: dir }), {
        embedModel,
      });
      expect(loaded.docStore.size).toBe(0);
      expect(loaded.vectorStore.size).toBe(0);
      const llm = new MockLLM();
      const res = await loaded.asQueryEngine({ streaming: true, llm }).query("anything?");
      expect((await res.getResponse()).response).toBe("Empty Response");
      expect([llm.calls.length, embedModel.batchCalls]).toEqual([0, 0]);

      await loaded.insert(radio());
      await loaded.persist(dir);
      const again = await loadIndexFromStorage(await storageContextFromDefaults({ persistDir: dir }), {
        embedModel,
      });
      const top = await again.asRetriever({ similarityTopK: 1 }).retrieve("copper wire");
      expect(top.map((n) => n.node.refDocId)).toEqual(["radio"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("on an AnnVectorStore too (empty, then filled by insert)", async () => {
    const embedModel = new CountingEmbedding();
    const storageContext = await storageContextFromDefaults({ vectorStore: new AnnVectorStore() });
    const index = await VectorStoreIndex.fromDocuments([], { embedModel, storageContext });
    const llm = new MockLLM();
    const res = await index.asQueryEngine({ streaming: true, llm }).query("anything?");
    expect((await res.getResponse()).response).toBe("Empty Response");
    expect([llm.calls.length, embedModel.batchCalls]).toEqual([0, 0]);
    await index.insert(radio());
    const top = await index.asRetriever({ similarityTopK: 1 }).retrieve("copper wire");
    expect(top.map((n) => n.node.refDocId)).toEqual(["radio"]);
  });
});

describe("vector stores answer an empty query with empty results", () => {
  const query = { queryEmbedding: [0.5, 0.5, 0], similarityTopK: 3 };
  it("SimpleVectorStore (the default), with docIds and filters as well", async () => {
    for (const backend of ["wasm", "js"] as const) {
      const store = new SimpleVectorStore({ backend });
      expect(await store.query(query)).toEqual({ ids: [], similarities: [] });
      expect(
        await store.query({ ...query, docIds: ["a"], filters: { filters: [{ key: "k", value: 1 }] } }),
      ).toEqual({ ids: [], similarities: [] });
    }
  });
  it("AnnVectorStore, new and emptied by delete", async () => {
    const store = new AnnVectorStore();
    expect(await store.query(query)).toEqual({ ids: [], similarities: [] });
    expect(
      await store.query({ ...query, docIds: ["a"], filters: { filters: [{ key: "k", value: 1 }] } }),
    ).toEqual({ ids: [], similarities: [] });
    await store.add([new TextNode({ id: "x", text: "x", refDocId: "d", embedding: [1, 0, 0] })]);
    await store.delete("d");
    expect(store.size).toBe(0);
    expect(await store.query(query)).toEqual({ ids: [], similarities: [] });
  });
});
