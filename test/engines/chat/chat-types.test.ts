import { describe, expectTypeOf, it } from "vitest";
import {
  type ChatEngine,
  type CondensePlusContextChatEngine,
  type CondenseQuestionChatEngine,
  type ContextChatEngine,
  Document,
  MockEmbedding,
  MockLLM,
  type Response,
  type SimpleChatEngine,
  type StreamingResponse,
  VectorStoreIndex,
} from "../../../src/index.js";

describe("chat engine types follow the flag and the mode (no casts in user code)", () => {
  it("asChatEngine", async () => {
    const index = await VectorStoreIndex.fromDocuments([new Document({ text: "x" })], {
      embedModel: new MockEmbedding(),
    });
    const llm = new MockLLM();
    const streaming = index.asChatEngine({ streaming: true, llm });
    expectTypeOf(streaming).toEqualTypeOf<CondensePlusContextChatEngine<true>>();
    expectTypeOf(streaming.chat).returns.resolves.toEqualTypeOf<StreamingResponse>();
    const plain = index.asChatEngine({ chatMode: "context", llm });
    expectTypeOf(plain).toEqualTypeOf<ContextChatEngine<false>>();
    expectTypeOf(plain.chat).returns.resolves.toEqualTypeOf<Response>();
    expectTypeOf(plain.streamChat).returns.resolves.toEqualTypeOf<StreamingResponse>();
    expectTypeOf(index.asChatEngine({ chatMode: "simple", llm })).toEqualTypeOf<SimpleChatEngine<false>>();
    expectTypeOf(index.asChatEngine({ chatMode: "condense_question", streaming: true, llm })).toEqualTypeOf<
      CondenseQuestionChatEngine<true>
    >();
    const mode = "context" as "context" | "simple";
    const either: ChatEngine<true> = index.asChatEngine({ chatMode: mode, streaming: true, llm });
    expectTypeOf(either.chat).returns.resolves.toEqualTypeOf<StreamingResponse>();
  });

  it("the README's server example typechecks: asChatEngine is a ChatEngineFactory's ChatRunner", async () => {
    const { createFetchHandler } = await import("../../../src/server/index.js");
    const index = await VectorStoreIndex.fromDocuments([new Document({ text: "x" })], {
      embedModel: new MockEmbedding(),
    });
    const llm = new MockLLM();
    const handler = createFetchHandler({
      createEngine: ({ topK, mode, streaming }) =>
        index.asQueryEngine({ streaming, similarityTopK: topK, responseMode: mode, llm }),
      createChatEngine: ({ topK, mode, chatMode, streaming }) =>
        index.asChatEngine({ chatMode, streaming, similarityTopK: topK, responseMode: mode, llm }),
    });
    expectTypeOf(handler).toBeFunction();
  });
});
