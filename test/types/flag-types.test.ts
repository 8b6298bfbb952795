import { describe, expectTypeOf, it } from "vitest";
import {
  type Citation,
  getResponseSynthesizer,
  MockLLM,
  type Response,
  RetrieverQueryEngine,
  Settings,
  type StreamingResponse,
} from "../../src/index.js";
import { FixedRetriever } from "../support/fixtures.js";

describe("types follow the streaming flag (no casts in user code)", () => {
  it("a streaming synthesizer makes query() resolve to StreamingResponse, otherwise to Response", () => {
    const llm = new MockLLM();
    const retriever = new FixedRetriever([]);
    const streaming = new RetrieverQueryEngine({
      retriever,
      responseSynthesizer: getResponseSynthesizer({ streaming: true, llm }),
    });
    expectTypeOf(streaming.query).returns.resolves.toEqualTypeOf<StreamingResponse>();
    const plain = new RetrieverQueryEngine({
      retriever,
      responseSynthesizer: getResponseSynthesizer({ llm }),
    });
    expectTypeOf(plain.query).returns.resolves.toEqualTypeOf<Response>();
    // The default synthesizer takes Settings.llm when the engine is built (none set: the build throws).
    Settings.llm = llm;
    try {
      const dflt = new RetrieverQueryEngine({ retriever });
      expectTypeOf(dflt.query).returns.resolves.toEqualTypeOf<Response>();
    } finally {
      Settings.reset();
    }
  });
});

describe("a citing engine's types follow the streaming flag too", () => {
  it("CitationQueryEngine.fromIndex and asQueryEngine({ citations: true })", async () => {
    const { CitationQueryEngine } = await import("../../src/engines/citation-query-engine.js");
    const { VectorStoreIndex } = await import("../../src/indices/vector-store-index.js");
    const { MockEmbedding } = await import("../../src/embeddings/mock-embedding.js");
    const index = await VectorStoreIndex.fromDocuments([], { embedModel: new MockEmbedding() });
    const llm = new MockLLM();
    const streamed = CitationQueryEngine.fromIndex(index, { streaming: true, llm });
    expectTypeOf(streamed.query).returns.resolves.toEqualTypeOf<StreamingResponse>();
    expectTypeOf(
      CitationQueryEngine.fromIndex(index, { llm }).query,
    ).returns.resolves.toEqualTypeOf<Response>();
    const viaIndex = index.asQueryEngine({ citations: true, streaming: true, llm });
    expectTypeOf(viaIndex.query).returns.resolves.toEqualTypeOf<StreamingResponse>();
    expectTypeOf((await streamed.query("q")).citations).toEqualTypeOf<readonly Citation[]>();
  });
});

describe("the README's server example typechecks", () => {
  it("asQueryEngine is an EngineFactory's QueryRunner", async () => {
    const { createFetchHandler } = await import("../../src/server/index.js");
    const { VectorStoreIndex } = await import("../../src/indices/vector-store-index.js");
    const { MockEmbedding } = await import("../../src/embeddings/mock-embedding.js");
    const { Document } = await import("../../src/schema/node.js");
    const index = await VectorStoreIndex.fromDocuments([new Document({ text: "x" })], {
      embedModel: new MockEmbedding(),
    });
    const handler = createFetchHandler({
      createEngine: ({ topK, mode, streaming }) =>
        index.asQueryEngine({ streaming, similarityTopK: topK, responseMode: mode, llm: new MockLLM() }),
    });
    expectTypeOf(handler).toBeFunction();
  });
});
