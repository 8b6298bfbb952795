import { describe, expect, it } from "vitest";
import {
  AbortError,
  ChatMemoryBuffer,
  createChatEngine,
  MockLLM,
  type MockLLMOptions,
  type NodeWithScore,
  type RetrieveOptions,
  Settings,
  SimpleChatEngine,
  StreamInterruptedError,
} from "../../../src/index.js";
import { INTERRUPTED_NOTE } from "../../../src/memory/chat-turn.js";
import { sleep } from "../../../src/utils/abort.js";
import { collect, nodes } from "../../support/fixtures.js";

function simple(llmOptions: MockLLMOptions = {}) {
  const llm = new MockLLM({ response: "one two three four", ...llmOptions });
  return { llm, engine: new SimpleChatEngine({ llm, streaming: true }) };
}

describe("memory: the user turn when sent, the assistant turn when the answer ends", () => {
  it("a normal end writes the full answer; the next call sees the whole conversation", async () => {
    const { llm, engine } = simple();
    const res = await engine.chat("first");
    expect(engine.chatHistory).toEqual([{ role: "user", content: "first" }]);
    expect(engine.memory.busy).toBe(true);
    await collect(res);
    expect(engine.chatHistory).toEqual([
      { role: "user", content: "first" },
      { role: "assistant", content: "one two three four" },
    ]);
    expect(engine.memory.busy).toBe(false);
    await (await engine.chat("second")).getResponse();
    expect(llm.calls[1]!.prompt).toBe(
      "user: first\nassistant: one two three four\nuser: second\nassistant: ",
    );
  });

  it("an error mid-stream writes the partial text, interrupted; the LLM is told next time", async () => {
    const { llm, engine } = simple({ failAfterChunks: 2 });
    const res = await engine.chat("first");
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const t of res) seen.push(t);
      })(),
    ).rejects.toBeInstanceOf(StreamInterruptedError);
    expect(seen).toEqual(["one", " two"]);
    expect(engine.chatHistory.at(-1)).toEqual({ role: "assistant", content: "one two", interrupted: true });
    const again = await engine.chat("again");
    await again.cancel();
    expect(llm.calls[1]!.prompt).toContain(`assistant: one two\n\n${INTERRUPTED_NOTE}\nuser: again`);
  });

  it("a cancel (break) writes the partial text, interrupted", async () => {
    const { engine, llm } = simple({ chunkDelayMs: 5 });
    const res = await engine.chat("q");
    for await (const t of res) if (t === " two") break;
    expect(llm.calls[0]!.aborted).toBe(true);
    expect(engine.chatHistory).toEqual([
      { role: "user", content: "q" },
      { role: "assistant", content: "one two", interrupted: true },
    ]);
  });

  it("an aborted signal mid-stream writes the partial text, interrupted", async () => {
    const { engine } = simple({ chunkDelayMs: 20 });
    const controller = new AbortController();
    const res = await engine.chat("q", { signal: controller.signal });
    const it = res[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe("one");
    controller.abort();
    await expect(it.next()).rejects.toBeInstanceOf(AbortError);
    expect(engine.chatHistory.at(-1)).toEqual({ role: "assistant", content: "one", interrupted: true });
  });

  it("a failure before the answer starts keeps the user turn, with an empty interrupted answer", async () => {
    const { engine } = simple({ failOnStart: (i) => (i === 0 ? new Error("429") : undefined) });
    await expect(engine.chat("q")).rejects.toThrow("429");
    expect(engine.chatHistory).toEqual([
      { role: "user", content: "q" },
      { role: "assistant", content: "", interrupted: true },
    ]);
    expect(engine.memory.get().map((m) => m.content)).toEqual(["q", INTERRUPTED_NOTE]);
  });

  it("an abort during retrieval stops the work and records the interrupted turn", async () => {
    const slow = {
      async retrieve(_q: string, o: RetrieveOptions = {}): Promise<NodeWithScore[]> {
        await sleep(5_000, o.signal);
        return nodes(1);
      },
    };
    const llm = new MockLLM();
    const engine = createChatEngine({ chatMode: "context", llm, retriever: slow, streaming: true });
    const controller = new AbortController();
    const pending = engine.chat("q", { signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    expect(llm.calls).toHaveLength(0);
    expect(engine.chatHistory).toEqual([
      { role: "user", content: "q" },
      { role: "assistant", content: "", interrupted: true },
    ]);
  });

  it("non-streaming answers are written at once; failures as interrupted", async () => {
    const llm = new MockLLM({
      response: "done",
      failOnStart: (i) => (i === 1 ? new Error("boom") : undefined),
    });
    const engine = new SimpleChatEngine({ llm });
    expect((await engine.chat("a")).response).toBe("done");
    await expect(engine.chat("b")).rejects.toThrow("boom");
    expect(engine.chatHistory).toEqual([
      { role: "user", content: "a" },
      { role: "assistant", content: "done" },
      { role: "user", content: "b" },
      { role: "assistant", content: "", interrupted: true },
    ]);
  });

  it("a new message while the previous answer streams interrupts it first: turns never interleave", async () => {
    const { engine, llm } = simple({ response: "a b c d e f", chunkDelayMs: 10 });
    const first = await engine.chat("first");
    const it = first[Symbol.asyncIterator]();
    await it.next();
    const second = await engine.chat("second");
    expect(first.cancelled).toBe(true);
    expect(llm.calls[0]!.aborted).toBe(true);
    await second.getResponse();
    expect(engine.chatHistory).toEqual([
      { role: "user", content: "first" },
      { role: "assistant", content: "a", interrupted: true },
      { role: "user", content: "second" },
      { role: "assistant", content: "a b c d e f" },
    ]);
  });

  it("an answer never read is interrupted (empty) by the next message", async () => {
    const { engine } = simple();
    await engine.chat("first");
    await (await engine.chat("second")).getResponse();
    expect(engine.chatHistory.map((t) => [t.role, t.content, t.interrupted ?? false])).toEqual([
      ["user", "first", false],
      ["assistant", "", true],
      ["user", "second", false],
      ["assistant", "one two three four", false],
    ]);
  });

  it("reset() forgets the conversation, and an answer in flight is not written afterwards", async () => {
    const { engine } = simple();
    const res = await engine.chat("q");
    engine.reset();
    await res.getResponse();
    expect(engine.chatHistory).toEqual([]);
  });
});

describe("conversations never share memory", () => {
  it("two engines have two memories", async () => {
    const llm = new MockLLM({ response: "ok" });
    const a = new SimpleChatEngine({ llm, streaming: true });
    const b = new SimpleChatEngine({ llm, streaming: true });
    await (await a.chat("from a")).getResponse();
    await (await b.chat("from b")).getResponse();
    expect(a.memory).not.toBe(b.memory);
    expect(a.chatHistory.map((t) => t.content)).toEqual(["from a", "ok"]);
    expect(b.chatHistory.map((t) => t.content)).toEqual(["from b", "ok"]);
  });

  it("one engine, two concurrent conversations with a memory each: interleaved streams never mix", async () => {
    const llm = new MockLLM({ response: (p) => `echo ${p.split("\n").at(-2)}`, chunkDelayMs: 3 });
    const engine = createChatEngine({
      chatMode: "context",
      llm,
      retriever: { retrieve: async () => nodes(1) },
      streaming: true,
    });
    const alice = new ChatMemoryBuffer();
    const bob = new ChatMemoryBuffer();
    const talk = async (memory: ChatMemoryBuffer, who: string) => {
      for (let i = 0; i < 3; i++) await (await engine.chat(`${who} ${i}`, { memory })).getResponse();
    };
    await Promise.all([talk(alice, "alice"), talk(bob, "bob")]);
    expect(engine.chatHistory).toEqual([]);
    for (const [memory, who, other] of [
      [alice, "alice", "bob"],
      [bob, "bob", "alice"],
    ] as const) {
      const all = memory.getAll();
      expect(all.map((t) => t.role)).toEqual(["user", "assistant", "user", "assistant", "user", "assistant"]);
      expect(all.filter((t) => t.role === "user").map((t) => t.content)).toEqual([
        `${who} 0`,
        `${who} 1`,
        `${who} 2`,
      ]);
      expect(all.filter((t) => t.role === "assistant").map((t) => t.content)).toEqual([
        `echo user: ${who} 0`,
        `echo user: ${who} 1`,
        `echo user: ${who} 2`,
      ]);
      expect(JSON.stringify(all)).not.toContain(other);
    }
    for (const call of llm.calls) {
      const whose = call.prompt.includes("alice") ? "alice" : "bob";
      expect(call.prompt).not.toContain(whose === "alice" ? "bob" : "alice");
    }
  });
});

describe("chat answers are StreamingResponses in every respect", () => {
  it("as a text/event-stream Response: sources, deltas, usage, done; the memory is written when the body ends", async () => {
    const llm = new MockLLM({ response: "x y" });
    const engine = createChatEngine({
      chatMode: "context",
      llm,
      retriever: { retrieve: async () => nodes(1) },
      streaming: true,
    });
    const web = (await engine.chat("q")).toEventStreamResponse();
    const text = await web.text();
    expect(text.match(/^event: (\w+)/gm)).toEqual([
      "event: sources",
      "event: delta",
      "event: delta",
      "event: usage",
      "event: done",
    ]);
    expect(engine.chatHistory.at(-1)).toEqual({ role: "assistant", content: "x y" });
  });

  it("instrumentation sees the rewrite and the streamed call, without consuming the stream", async () => {
    const llm = new MockLLM({ response: "fine" });
    const engine = createChatEngine({ llm, retriever: { retrieve: async () => nodes(1) }, streaming: true });
    const seen: string[] = [];
    const offs = [
      Settings.events.on("query-start", (e) => seen.push(`start ${e.query}`)),
      Settings.events.on("llm-start", (e) => seen.push(`llm ${e.streaming ? "stream" : "complete"}`)),
      Settings.events.on("llm-end", (e) => seen.push(`llm-end ${e.text}`)),
      Settings.events.on("query-end", (e) => seen.push(`end ${e.text}`)),
    ];
    try {
      await (await engine.chat("one")).getResponse();
      expect(await collect(await engine.chat("two"))).toEqual(["fine"]);
    } finally {
      for (const off of offs) off();
    }
    expect(seen).toEqual([
      "start one",
      "llm stream",
      "llm-end fine",
      "end fine",
      "start two",
      "llm complete",
      "llm-end fine",
      "llm stream",
      "llm-end fine",
      "end fine",
    ]);
  });
});
