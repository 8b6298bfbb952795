import { describe, expect, it } from "vitest";
import {
  ChatMemoryBuffer,
  type ChatTurn,
  InvalidArgumentError,
  InvalidChatMemoryError,
  MockLLM,
  SimpleChatEngine,
  StreamdexError,
} from "../../src/index.js";
import { MESSAGE_OVERHEAD_TOKENS } from "../../src/memory/chat-memory-buffer.js";
import { INTERRUPTED_NOTE } from "../../src/memory/chat-turn.js";
import type { Tokenizer } from "../../src/utils/tokenizer.js";

/** One token per word: makes the limits easy to reason about. */
const words: Tokenizer = {
  encode: (t) =>
    t
      .split(/\s+/)
      .filter(Boolean)
      .map((_, i) => i),
  decode: () => "",
  countTokens: (t) => t.split(/\s+/).filter(Boolean).length,
};
const cost = (content: string) => words.countTokens(content) + MESSAGE_OVERHEAD_TOKENS;

const conversation: ChatTurn[] = [
  { role: "system", content: "be brief" },
  { role: "user", content: "u1 a b c" },
  { role: "assistant", content: "a1 a b c" },
  { role: "user", content: "u2 a b c" },
  { role: "assistant", content: "a2 a b c" },
  { role: "user", content: "u3 a b c" },
];

describe("ChatMemoryBuffer token limit", () => {
  it("keeps everything that fits", () => {
    const memory = new ChatMemoryBuffer({ tokenizer: words, tokenLimit: 1000, messages: conversation });
    expect(memory.get()).toEqual(conversation);
  });

  it("drops the oldest turns first and always keeps the system prompt", () => {
    // system (2+4) + three newest (8 each) = 30: u1 and a1 do not fit.
    const memory = new ChatMemoryBuffer({ tokenizer: words, tokenLimit: 6 + 3 * 8, messages: conversation });
    expect(memory.get().map((m) => m.content)).toEqual(["be brief", "u2 a b c", "a2 a b c", "u3 a b c"]);
    expect(memory.getAll()).toEqual(conversation); // storage keeps everything
  });

  it("never starts the history with an assistant turn", () => {
    // Room for system + 2 messages: a2, u3 would fit, but a2 would open the history: only u3 is kept.
    const memory = new ChatMemoryBuffer({ tokenizer: words, tokenLimit: 6 + 2 * 8, messages: conversation });
    expect(memory.get().map((m) => m.content)).toEqual(["be brief", "u3 a b c"]);
  });

  it("initialTokenCount (system prompt, context) is taken off the limit", () => {
    const memory = new ChatMemoryBuffer({ tokenizer: words, tokenLimit: 6 + 3 * 8, messages: conversation });
    expect(memory.get({ initialTokenCount: 8 }).map((m) => m.content)).toEqual(["be brief", "u3 a b c"]);
  });

  it("keeps the newest message even when it alone is over the limit, and the system prompt too", () => {
    const memory = new ChatMemoryBuffer({ tokenizer: words, tokenLimit: 1, messages: conversation });
    expect(memory.get().map((m) => m.content)).toEqual(["be brief", "u3 a b c"]);
  });

  it("the buffer's own limit and tokenizer win over the engine's; else the engine's; else 3000 and Settings", () => {
    const own = new ChatMemoryBuffer({ tokenizer: words, tokenLimit: 6 + 8, messages: conversation });
    expect(own.get({ tokenLimit: 10_000 })).toHaveLength(2);
    const adaptive = new ChatMemoryBuffer({ messages: conversation });
    expect(adaptive.get({ tokenLimit: 6 + 8, tokenizer: words })).toHaveLength(2);
    expect(adaptive.get()).toHaveLength(6);
    expect(cost("x")).toBe(5);
  });

  it("a chat engine sizes the history from its LLM's context window and tokenizer", async () => {
    const llm = new MockLLM({ response: "ok", metadata: { contextWindow: 40 } }); // limit: 30 tokens
    const tokenizerCalls: string[] = [];
    Object.assign(llm, {
      getTokenizer: async (): Promise<Tokenizer> => ({
        ...words,
        countTokens: (t: string) => {
          tokenizerCalls.push(t);
          return words.countTokens(t);
        },
      }),
    });
    const engine = new SimpleChatEngine({ llm, streaming: true, systemPrompt: "be brief" });
    for (const m of ["one a b c", "two a b c", "three a b c", "four a b c"])
      await (await engine.chat(m)).getResponse();
    const last = llm.calls.at(-1)!.prompt;
    // system 6 + newest user 8 + (ok 5 + user 8) = 27 <= 30; one more exchange would not fit.
    expect(last).toBe("system: be brief\nuser: three a b c\nassistant: ok\nuser: four a b c\nassistant: ");
    expect(tokenizerCalls.length).toBeGreaterThan(0);
    expect(engine.chatHistory).toHaveLength(8);
  });

  it("maxMessages caps storage, deleting the oldest non-system messages", () => {
    const memory = new ChatMemoryBuffer({ maxMessages: 3, messages: conversation });
    expect(memory.getAll().map((m) => m.content)).toEqual(["be brief", "u2 a b c", "a2 a b c", "u3 a b c"]);
    memory.put({ role: "assistant", content: "a3" });
    expect(memory.getAll().map((m) => m.content)).toEqual(["be brief", "a2 a b c", "u3 a b c", "a3"]);
  });

  it("interrupted turns are shown to the LLM with a note; storage keeps the flag", () => {
    const memory = new ChatMemoryBuffer({
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: "half an", interrupted: true },
        { role: "user", content: "q2" },
        { role: "assistant", content: "", interrupted: true },
      ],
    });
    expect(memory.get().map((m) => m.content)).toEqual([
      "q",
      `half an\n\n${INTERRUPTED_NOTE}`,
      "q2",
      INTERRUPTED_NOTE,
    ]);
    expect(memory.get()[1]).not.toHaveProperty("interrupted");
    expect(memory.getAll()[1]).toEqual({ role: "assistant", content: "half an", interrupted: true });
  });
});

describe("ChatMemoryBuffer serialisation", () => {
  it("round-trips through JSON, flags and limits included", () => {
    const memory = new ChatMemoryBuffer({ tokenLimit: 500, maxMessages: 50 });
    memory.put({ role: "system", content: "sys" });
    memory.put({ role: "user", content: 'quotes " and\nnewlines, emoji 🎈' });
    memory.put({ role: "assistant", content: "part", interrupted: true });
    const text = JSON.stringify(memory);
    const back = ChatMemoryBuffer.fromJSON(text, { tokenizer: words });
    expect(back.getAll()).toEqual(memory.getAll());
    expect(back.tokenLimit).toBe(500);
    expect(back.maxMessages).toBe(50);
    expect(back.tokenizer).toBe(words);
    expect(ChatMemoryBuffer.fromJSON(JSON.parse(text)).toJSON()).toEqual(memory.toJSON());
    expect(new ChatMemoryBuffer().toJSON()).toEqual({ version: 1, messages: [] });
  });

  it("a restored memory continues the conversation", async () => {
    const llm = new MockLLM({ response: "ok" });
    const first = new SimpleChatEngine({ llm, streaming: true });
    await (await first.chat("remember 42")).getResponse();
    const saved = JSON.stringify(first.memory);
    const second = new SimpleChatEngine({ llm, streaming: true, memory: ChatMemoryBuffer.fromJSON(saved) });
    await (await second.chat("what number?")).getResponse();
    expect(llm.calls[1]!.prompt).toBe("user: remember 42\nassistant: ok\nuser: what number?\nassistant: ");
  });

  const bad: [unknown, RegExp][] = [
    ["{not json", /not valid JSON/],
    [null, /expected an object/],
    [[], /expected an object/],
    [{ messages: [] }, /at version: expected 1/],
    [{ version: 2, messages: [] }, /at version: expected 1, got 2/],
    [{ version: 1 }, /at messages: expected an array/],
    [{ version: 1, messages: [], extra: 1 }, /at extra: unknown field/],
    [{ version: 1, messages: [], tokenLimit: 0 }, /at tokenLimit: expected an integer >= 1/],
    [{ version: 1, messages: ["hi"] }, /at messages\[0\]: expected an object/],
    [{ version: 1, messages: [{ role: "bot", content: "x" }] }, /at messages\[0\]\.role/],
    [{ version: 1, messages: [{ role: "user" }] }, /at messages\[0\]\.content: expected a string/],
    [{ version: 1, messages: [{ role: "user", content: "x", interrupted: true }] }, /only assistant turns/],
    [
      { version: 1, messages: [{ role: "assistant", content: "x", interrupted: "yes" }] },
      /interrupted: expected true or false/,
    ],
    [
      { version: 1, messages: [{ role: "user", content: "x", name: "n" }] },
      /messages\[0\]\.name: unknown field/,
    ],
  ];
  for (const [input, message] of bad) {
    it(`rejects ${JSON.stringify(input)} with InvalidChatMemoryError`, () => {
      let error: unknown;
      try {
        ChatMemoryBuffer.fromJSON(input);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidChatMemoryError);
      expect(error).toBeInstanceOf(StreamdexError);
      expect((error as InvalidChatMemoryError).code).toBe("invalid_chat_memory");
      expect((error as Error).message).toMatch(message);
    });
  }

  it("put() and the constructor check messages and limits", () => {
    const memory = new ChatMemoryBuffer();
    expect(() => memory.put({ role: "robot", content: "x" } as unknown as ChatTurn)).toThrow(
      InvalidArgumentError,
    );
    expect(() => memory.put({ role: "user", content: 1 } as unknown as ChatTurn)).toThrow(/content/);
    expect(() => new ChatMemoryBuffer({ tokenLimit: 0 })).toThrow(/tokenLimit/);
    expect(() => new ChatMemoryBuffer({ tokenizer: {} as Tokenizer })).toThrow(/tokenizer/);
    expect(() => memory.set("x" as unknown as ChatTurn[])).toThrow(/messages/);
  });
});
