import { describe, expect, it } from "vitest";
import {
  CHAT_MODES,
  type ChatMemoryBuffer,
  type ChatMode,
  CondenseQuestionChatEngine,
  createChatEngine,
  getResponseSynthesizer,
  InvalidArgumentError,
  MockLLM,
  type MockLLMOptions,
  NotImplementedError,
  Response,
  RetrieverQueryEngine,
  Settings,
  SimpleChatEngine,
  StreamingResponse,
} from "../../../src/index.js";
import { collect, FixedRetriever, nodes, settle } from "../../support/fixtures.js";

/** A MockLLM that condenses to "STANDALONE: <last line>" and answers "The answer." otherwise. */
function setup<S extends boolean = true>(
  chatMode: ChatMode,
  llmOptions: MockLLMOptions = {},
  streaming: S = true as S,
) {
  const llm = new MockLLM({
    response: (prompt) =>
      prompt.includes("Standalone question:") ? "What did the author do after college?" : "The answer.",
    ...llmOptions,
  });
  const retriever = new FixedRetriever(nodes(2));
  const engine = createChatEngine<S, ChatMode>({ chatMode, llm, retriever, streaming });
  return { llm, retriever, engine };
}

describe("each chat mode: LLM calls per message, and only the last one streams", () => {
  const expected: Record<ChatMode, { first: number; second: number; retrieves: number }> = {
    simple: { first: 1, second: 1, retrieves: 0 },
    context: { first: 1, second: 1, retrieves: 1 },
    condense_question: { first: 1, second: 2, retrieves: 1 },
    condense_plus_context: { first: 1, second: 2, retrieves: 1 },
  };
  for (const mode of CHAT_MODES) {
    it(`${mode}: first message ${expected[mode].first} call(s), follow-up ${expected[mode].second}`, async () => {
      const { llm, retriever, engine } = setup(mode);
      const first = await engine.chat("What did the author do growing up?");
      expect(first).toBeInstanceOf(StreamingResponse);
      expect(await collect(first)).toEqual(["The", " answer."]);
      expect(llm.calls).toHaveLength(expected[mode].first);
      expect(llm.calls.map((c) => c.streamed)).toEqual([true]);
      expect(retriever.calls).toBe(expected[mode].retrieves);

      const second = await engine.chat("And after that?");
      await second.getResponse();
      const calls = llm.calls.slice(expected[mode].first);
      expect(calls).toHaveLength(expected[mode].second);
      // Earlier calls complete inside chat(); the last one is the streamed one.
      expect(calls.map((c) => c.streamed)).toEqual(calls.map((_, i) => i === calls.length - 1));
      expect(retriever.calls).toBe(expected[mode].retrieves * 2);
      expect(engine.chatHistory).toEqual([
        { role: "user", content: "What did the author do growing up?" },
        { role: "assistant", content: "The answer." },
        { role: "user", content: "And after that?" },
        { role: "assistant", content: "The answer." },
      ]);
    });
  }

  it("the condensing call sees the conversation; the retriever and query engine get the standalone question", async () => {
    const { llm, engine } = setup("condense_question");
    const queries: string[] = [];
    const qe = (engine as CondenseQuestionChatEngine<true>).queryEngine;
    const original = qe.retriever.retrieve.bind(qe.retriever);
    qe.retriever.retrieve = (q, o) => {
      queries.push(q);
      return original(q, o);
    };
    await (await engine.chat("Who is the author?")).getResponse();
    await (await engine.chat("And after that?")).getResponse();
    expect(queries).toEqual(["Who is the author?", "What did the author do after college?"]);
    const condense = llm.calls[1]!;
    expect(condense.streamed).toBe(false);
    expect(condense.prompt).toContain("user: Who is the author?\nassistant: The answer.");
    expect(condense.prompt).toContain("Follow-up message: And after that?");
    // condense_question answers from the query engine's prompt, with the standalone question.
    expect(llm.calls[2]!.prompt).toContain("Question: What did the author do after college?");
  });

  it("condense_plus_context retrieves with the standalone question but answers the message, with history", async () => {
    const { llm, engine, retriever } = setup("condense_plus_context");
    const seen: string[] = [];
    const original = retriever.retrieve.bind(retriever);
    retriever.retrieve = (q, o) => {
      seen.push(q);
      return original(q, o);
    };
    await (await engine.chat("Who is the author?")).getResponse();
    await (await engine.chat("And after that?")).getResponse();
    expect(seen).toEqual(["Who is the author?", "What did the author do after college?"]);
    const last = llm.calls[2]!.prompt;
    expect(last).toMatch(/^system: Below are excerpts/);
    expect(last).toContain("chunk0 word");
    expect(last).toContain(
      "user: Who is the author?\nassistant: The answer.\nuser: And after that?\nassistant: ",
    );
  });

  it("context mode puts the excerpts and the system prompt in one system message", async () => {
    const llm = new MockLLM({ response: "ok" });
    const engine = createChatEngine({
      chatMode: "context",
      llm,
      retriever: new FixedRetriever(nodes(1)),
      systemPrompt: "You are terse.",
      streaming: true,
    });
    const res = await engine.chat("hi");
    expect(res.sourceNodes.map((n) => n.node.id)).toEqual(["n0"]);
    await res.getResponse();
    expect(llm.calls[0]!.prompt).toMatch(
      /^system: You are terse\.\n\nBelow are excerpts[\s\S]*chunk0[\s\S]*\nuser: hi\nassistant: $/,
    );
  });

  it("chat() resolves once the last call is accepted, before its first token, with the sources", async () => {
    const { llm, engine } = setup("context", { firstChunkDelayMs: 5_000 });
    const res = await engine.chat("q");
    expect(llm.calls[0]).toMatchObject({ streamed: true, chunksProduced: 0 });
    expect(res.sourceNodes).toHaveLength(2);
    await res.cancel();
  });

  it("an error before the first token rejects chat() itself", async () => {
    const err = new Error("401");
    const { engine } = setup("simple", { failOnStart: () => err });
    await expect(engine.chat("q")).rejects.toBe(err);
  });

  it("streaming: false gives a finished Response; streamChat() always streams", async () => {
    const { llm, engine } = setup("context", {}, false);
    const res = await engine.chat("q");
    expect(res).toBeInstanceOf(Response);
    expect(res.response).toBe("The answer.");
    expect(res.sourceNodes).toHaveLength(2);
    expect(res.usage).toMatchObject({ completionTokens: 2 });
    expect(llm.calls[0]!.streamed).toBe(false);
    const streamed = await engine.streamChat("again");
    expect(streamed).toBeInstanceOf(StreamingResponse);
    await streamed.getResponse();
    expect(llm.calls[1]!.streamed).toBe(true);
  });

  it("a non-streaming condense_question engine from the factory can still streamChat()", async () => {
    const { llm, engine } = setup("condense_question", {}, false);
    expect(await engine.chat("q")).toBeInstanceOf(Response);
    const res = await engine.streamChat("again");
    expect(res).toBeInstanceOf(StreamingResponse);
    await res.getResponse();
    expect(llm.calls.map((c) => c.streamed)).toEqual([false, false, true]);
  });
});

describe("bad inputs fail before any work", () => {
  it("an empty or non-string message is an InvalidArgumentError; nothing is retrieved, called or remembered", async () => {
    for (const mode of CHAT_MODES) {
      const { llm, retriever, engine } = setup(mode);
      for (const bad of ["", "   ", undefined, 42]) {
        await expect(engine.chat(bad as string)).rejects.toBeInstanceOf(InvalidArgumentError);
        await expect(engine.streamChat(bad as string)).rejects.toThrow(/Invalid message/);
      }
      expect(llm.calls).toHaveLength(0);
      expect(retriever.calls).toBe(0);
      expect(engine.chatHistory).toEqual([]);
    }
  });

  it("an unknown chatMode is an InvalidArgumentError at construction", () => {
    expect(() => createChatEngine({ chatMode: "best" as "simple", llm: new MockLLM() })).toThrow(
      InvalidArgumentError,
    );
    expect(() => createChatEngine({ chatMode: "best" as "simple" })).toThrow(/unknown chat mode "best"/);
  });

  it("modes that retrieve need a retriever", () => {
    expect(() => createChatEngine({ chatMode: "context", llm: new MockLLM() })).toThrow(/pass a retriever/);
  });

  it("a streaming engine over an LLM that cannot stream: NotImplementedError at construction", () => {
    const llm = new MockLLM({ streaming: false });
    for (const chatMode of CHAT_MODES) {
      expect(() =>
        createChatEngine({ chatMode, llm, retriever: new FixedRetriever([]), streaming: true }),
      ).toThrow(NotImplementedError);
    }
  });

  it("streamChat() on an LLM that cannot stream throws NotImplementedError before any work", async () => {
    for (const chatMode of CHAT_MODES) {
      const llm = new MockLLM({ streaming: false });
      const retriever = new FixedRetriever(nodes(1));
      const engine = createChatEngine({ chatMode, llm, retriever });
      await expect(engine.streamChat("q")).rejects.toBeInstanceOf(NotImplementedError);
      expect(llm.calls).toHaveLength(0);
      expect(retriever.calls).toBe(0);
      expect(engine.chatHistory).toEqual([]);
    }
  });

  it("a CondenseQuestionChatEngine over a non-streaming query engine, with no streaming twin, cannot streamChat()", async () => {
    const llm = new MockLLM();
    const engine = new CondenseQuestionChatEngine({
      queryEngine: new RetrieverQueryEngine({
        retriever: new FixedRetriever([]),
        responseSynthesizer: getResponseSynthesizer({ llm }),
      }),
    });
    await expect(engine.streamChat("q")).rejects.toThrow(/needs a streaming query engine/);
    expect(() => new CondenseQuestionChatEngine({ queryEngine: {} as RetrieverQueryEngine })).toThrow(
      /Invalid queryEngine/,
    );
  });

  it("bad options are InvalidArgumentErrors", async () => {
    const llm = new MockLLM();
    expect(() => new SimpleChatEngine({ llm, memory: [] as unknown as ChatMemoryBuffer })).toThrow(
      /Invalid memory/,
    );
    expect(() => new SimpleChatEngine({ llm, systemPrompt: 1 as unknown as string })).toThrow(/systemPrompt/);
    expect(() => new SimpleChatEngine({ llm: {} as MockLLM })).toThrow(/Invalid llm/);
    expect(() => createChatEngine({ chatMode: "context", llm, retriever: {} as FixedRetriever })).toThrow(
      /Invalid retriever/,
    );
    expect(() =>
      createChatEngine({
        chatMode: "context",
        llm,
        retriever: new FixedRetriever([]),
        contextTemplate: "no var",
      }),
    ).toThrow(/contextTemplate/);
    const engine = new SimpleChatEngine({ llm });
    await expect(engine.chat("q", { memory: {} as ChatMemoryBuffer })).rejects.toThrow(
      /Invalid options.memory/,
    );
  });

  it("without any LLM the error says how to set one, when the engine is built", () => {
    Settings.llm = undefined;
    // Settings are read at construction (was: at the first chat() call).
    expect(() => new SimpleChatEngine()).toThrow(/No LLM configured/);
  });

  it("an already aborted signal rejects before any work", async () => {
    const { llm, engine } = setup("context");
    await expect(engine.chat("q", { signal: AbortSignal.abort() })).rejects.toThrow(/aborted/);
    await settle(1);
    expect(llm.calls).toHaveLength(0);
    expect(engine.chatHistory).toEqual([]);
  });
});
