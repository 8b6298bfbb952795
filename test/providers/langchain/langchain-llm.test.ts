import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { LLM } from "@langchain/core/language_models/llms";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import { RunnableLambda } from "@langchain/core/runnables";
import {
  FakeListChatModel,
  FakeLLM,
  FakeStreamingChatModel,
  FakeStreamingLLM,
} from "@langchain/core/utils/testing";
import { describe, expect, it } from "vitest";
import {
  AbortError,
  getResponseSynthesizer,
  InvalidArgumentError,
  NotImplementedError,
  ProviderError,
  ProviderTimeoutError,
  RetrieverQueryEngine,
  StreamInterruptedError,
  StreamingResponse,
} from "../../../src/index.js";
import { LangChainLLM } from "../../../src/providers/langchain/index.js";
import { implementsStreaming } from "../../../src/providers/langchain/model-kind.js";
import { collect, FixedRetriever, nodes, settle } from "../../support/fixtures.js";

/** FakeListChatModel that counts the chunks it has produced (to see what was read ahead). */
class CountingChatModel extends FakeListChatModel {
  produced = 0;
  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    for await (const chunk of super._streamResponseChunks(messages, options, runManager)) {
      this.produced++;
      yield chunk;
    }
  }
}

/** A LangChain LLM that only implements `_call`: LangChain's .stream() would yield one big chunk. */
class CallOnlyLLM extends LLM {
  _llmType() {
    return "call-only";
  }
  async _call(prompt: string): Promise<string> {
    return `echo: ${prompt.slice(0, 10)}`;
  }
}

/** A chat model that only implements `_generate`. */
class GenerateOnlyChatModel extends BaseChatModel {
  _llmType() {
    return "generate-only";
  }
  async _generate(): Promise<ChatResult> {
    const message = new AIMessage({
      content: "whole answer",
      usage_metadata: { input_tokens: 7, output_tokens: 2, total_tokens: 9 },
      response_metadata: { finish_reason: "stop" },
    });
    return { generations: [{ text: "whole answer", message }] };
  }
}

function engineFor(llm: LangChainLLM) {
  const retriever = new FixedRetriever(nodes(2));
  const responseSynthesizer = getResponseSynthesizer({ streaming: true, llm });
  return { retriever, engine: new RetrieverQueryEngine({ retriever, responseSynthesizer }) };
}

describe("LangChainLLM: which models stream (detected without calling them)", () => {
  it("LangChain's streaming test models are detected as streaming", () => {
    expect(new LangChainLLM(new FakeListChatModel({ responses: ["x"] })).supportsStreaming).toBe(true);
    expect(new LangChainLLM(new FakeStreamingChatModel({})).supportsStreaming).toBe(true);
    expect(new LangChainLLM(new FakeStreamingLLM({})).supportsStreaming).toBe(true);
    expect(new LangChainLLM(new CountingChatModel({ responses: ["x"] })).supportsStreaming).toBe(true);
  });

  it("models without _streamResponseChunks are not, and a streaming engine refuses them up front", async () => {
    for (const model of [
      new CallOnlyLLM({}),
      new GenerateOnlyChatModel({}),
      new FakeLLM({ response: "r" }),
    ]) {
      const llm = new LangChainLLM(model);
      expect(llm.supportsStreaming).toBe(false);
      expect(implementsStreaming(model, llm.metadata.isChatModel ? "chat" : "llm")).toBe(false);
      expect(() => getResponseSynthesizer({ streaming: true, llm })).toThrow(NotImplementedError);
      // The engine's error names the wrapped LangChain class, not just the wrapper.
      expect(() => getResponseSynthesizer({ streaming: true, llm })).toThrow(model.constructor.name);
      const err = await llm.streamComplete("p").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotImplementedError);
      expect((err as Error).message).toContain(model.constructor.name);
      expect((err as Error).message).toMatch(/_streamResponseChunks/);
    }
  });

  it("disableStreaming (ChatOpenAI's streaming: false) also counts as not streaming", () => {
    const model = new FakeListChatModel({ responses: ["x"] });
    model.disableStreaming = true;
    const llm = new LangChainLLM(model);
    expect(llm.supportsStreaming).toBe(false);
    expect(llm.modelInfo.whyNoStreaming).toMatch(/disableStreaming/);
  });

  it("complete() and chat() still work on non-streaming models, via invoke()", async () => {
    const chat = new LangChainLLM(new GenerateOnlyChatModel({}));
    expect(await chat.complete("q")).toMatchObject({
      text: "whole answer",
      usage: { promptTokens: 7, completionTokens: 2, totalTokens: 9 },
      finishReason: "stop",
    });
    expect((await chat.chat([{ role: "user", content: "q" }])).message).toEqual({
      role: "assistant",
      content: "whole answer",
    });
    const text = new LangChainLLM(new CallOnlyLLM({}));
    expect((await text.complete("hello there")).text).toBe("echo: hello ther");
    // chat on a text LLM: the messages as one prompt
    expect((await text.chat([{ role: "user", content: "hi" }])).message.content).toBe("echo: user: hi\na");
  });
});

describe("LangChainLLM: construction and metadata", () => {
  it("takes a model or { llm, contextWindow, numOutput }, and describes it", () => {
    const model = new FakeListChatModel({ responses: ["x"] });
    expect(new LangChainLLM(model).metadata).toEqual({
      model: "fake-list",
      contextWindow: 4096,
      numOutput: 256,
      isChatModel: true,
    });
    const llm = new LangChainLLM({ llm: new FakeStreamingLLM({}), contextWindow: 8000, numOutput: 100 });
    expect(llm.metadata).toEqual({ model: "fake", contextWindow: 8000, numOutput: 100, isChatModel: false });
    expect(llm.modelInfo).toMatchObject({ kind: "llm", className: "FakeStreamingLLM", streams: true });
  });

  it("rejects anything that is not a LangChain chat model or LLM", () => {
    const bad: unknown[] = [
      undefined,
      {},
      { invoke: async () => "x", stream: async () => [] },
      { llm: { invoke: async () => "x" } },
      RunnableLambda.from((x: string) => x),
      new FakeListChatModel({ responses: ["x"] }).withConfig({ tags: ["t"] }),
    ];
    for (const value of bad) {
      expect(() => new LangChainLLM(value as never)).toThrow(InvalidArgumentError);
    }
    expect(() => new LangChainLLM({} as never)).toThrow(/BaseChatModel/);
    expect(() => new LangChainLLM(RunnableLambda.from((x: string) => x) as never)).toThrow(/pass the model/);
    const model = new FakeListChatModel({ responses: ["x"] });
    expect(() => new LangChainLLM({ llm: model, contextWindow: 0 })).toThrow(/contextWindow/);
  });
});

describe("LangChainLLM: streaming through a real RetrieverQueryEngine", () => {
  it("one delta per LangChain chunk (multi-character chunks stay whole)", async () => {
    const model = new FakeStreamingChatModel({
      chunks: [new AIMessageChunk("Hel"), new AIMessageChunk("lo, w"), new AIMessageChunk("orld")],
    });
    const { engine } = engineFor(new LangChainLLM(model));
    const res = await engine.query("q");
    expect(res).toBeInstanceOf(StreamingResponse);
    expect(res.sourceNodes).toHaveLength(2);
    expect(await collect(res.responseGen)).toEqual(["Hel", "lo, w", "orld"]);
    expect(res.responseTxt).toBe("Hello, world");
  });

  it("text LLMs stream too (FakeStreamingLLM: one character per chunk)", async () => {
    const { engine } = engineFor(new LangChainLLM(new FakeStreamingLLM({ responses: ["abc"], sleep: 1 })));
    expect(await collect(await engine.query("q"))).toEqual(["a", "b", "c"]);
  });

  it("query() resolves before the first token is consumed, and nothing is read far ahead", async () => {
    const model = new CountingChatModel({ responses: ["0123456789"], sleep: 15 });
    const { engine } = engineFor(new LangChainLLM(model));
    const res = await engine.query("q");
    expect(res.deltaCount).toBe(0);
    expect(model.produced).toBeLessThanOrEqual(2);
    await settle(10);
    expect(model.produced).toBeLessThanOrEqual(3);
    expect(await collect(res)).toEqual([..."0123456789"]);
  });

  it("break stops the model: no more chunks are produced", async () => {
    const model = new CountingChatModel({ responses: ["x".repeat(200)], sleep: 5 });
    const { engine } = engineFor(new LangChainLLM(model));
    const res = await engine.query("q");
    let seen = 0;
    for await (const _ of res) if (++seen === 3) break;
    const after = model.produced;
    await new Promise((r) => setTimeout(r, 60));
    expect(model.produced).toBeLessThanOrEqual(after + 1);
    expect(model.produced).toBeLessThan(10);
  });

  it("an aborted signal stops the stream with AbortError", async () => {
    const model = new CountingChatModel({ responses: ["x".repeat(200)], sleep: 5 });
    const ac = new AbortController();
    const stream = await new LangChainLLM(model).streamComplete("p", { signal: ac.signal });
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    ac.abort();
    await expect(it.next()).rejects.toBeInstanceOf(AbortError);
    await new Promise((r) => setTimeout(r, 30));
    expect(model.produced).toBeLessThan(10);
    await expect(new LangChainLLM(model).streamComplete("p", { signal: ac.signal })).rejects.toBeInstanceOf(
      AbortError,
    );
  });

  it("a stream silent for longer than idleTimeoutMs fails with ProviderTimeoutError and stops the model", async () => {
    // The margins are wide on purpose: the first chunk comes at once (it must beat a 500 ms idle timeout even on a
    // loaded 2-core machine), the next ones take 5 s (ten times past it). The timeout is measured, not raced.
    const model = new CountingChatModel({ responses: ["abc"], sleep: 0 });
    const stream = await new LangChainLLM({ llm: model, idleTimeoutMs: 500 }).streamComplete("p");
    const it = stream[Symbol.asyncIterator]();
    expect((await it.next()).value).toMatchObject({ type: "text-delta", text: "a" });
    model.sleep = 5_000;
    // "b" may already be on its way (LangChain reads one chunk ahead); "c" cannot arrive in time.
    const err = await (async () => {
      await it.next();
      await it.next();
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderTimeoutError);
  });

  it("the finish reason from generation info is on the last chunk", async () => {
    const model = new FakeListChatModel({
      responses: ["ok"],
      generationInfo: { finish_reason: "stop" },
    });
    const stream = await new LangChainLLM(model).streamComplete("p");
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    // The last LangChain chunk carries "k" and the finish reason: a text-delta, then a finish part.
    expect(chunks.map((p) => (p.type === "text-delta" ? p.text : p.type))).toEqual(["o", "k", "finish"]);
    expect(chunks.at(-1)).toMatchObject({ type: "finish", finishReason: "stop" });
  });

  it("an error before the first chunk rejects query() with a typed error", async () => {
    const failing = new FakeStreamingChatModel({ thrownErrorString: "boom: upstream refused" });
    const { engine, retriever } = engineFor(new LangChainLLM(failing));
    const err = await engine.query("q").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as Error).message).toMatch(/FakeStreamingChatModel.*boom: upstream refused/);
    expect(retriever.calls).toBe(1);
  });
});

describe("LangChainLLM: mid-stream errors", () => {
  it("propagate from the iterator as StreamInterruptedError with the partial text", async () => {
    class Flaky extends FakeListChatModel {
      override async *_streamResponseChunks(): AsyncGenerator<ChatGenerationChunk> {
        yield new ChatGenerationChunk({ message: new AIMessageChunk("par"), text: "par" });
        yield new ChatGenerationChunk({ message: new AIMessageChunk("tial"), text: "tial" });
        throw new Error("socket hang up");
      }
    }
    const { engine } = engineFor(new LangChainLLM(new Flaky({ responses: ["x"] })));
    const res = await engine.query("q");
    const err = (await collect(res).catch((e: unknown) => e)) as StreamInterruptedError;
    expect(err).toBeInstanceOf(StreamInterruptedError);
    expect(err.partialText).toBe("partial");
    expect(err.cause).toBeInstanceOf(ProviderError);
  });
});
