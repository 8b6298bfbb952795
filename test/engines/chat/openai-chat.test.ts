import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AuthenticationError, ChatMemoryBuffer, createChatEngine } from "../../../src/index.js";
import { INTERRUPTED_NOTE } from "../../../src/memory/chat-turn.js";
import { OpenAI } from "../../../src/providers/openai/index.js";
import { type FakeOpenAIServer, startFakeOpenAI } from "../../support/fake-openai/server.js";
import { FixedRetriever, nodes } from "../../support/fixtures.js";

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(() => server.close());
afterEach(() => server.reset());

const llm = () =>
  new OpenAI({ model: "gpt-4o-mini", apiKey: "sk-test", baseURL: server.baseURL, maxRetries: 0 });
type Body = { messages: { role: string; content: string }[]; stream?: boolean };
const bodyOf = (i: number) => server.requests[i]!.body as Body;

describe("chat engines against the loopback OpenAI server", () => {
  it("condense_plus_context: one non-streamed condense call, then the streamed answer with context and history", async () => {
    server.configure({ tokens: ["Hello", " there"] }, "chat");
    const engine = createChatEngine({ llm: llm(), retriever: new FixedRetriever(nodes(1)), streaming: true });
    expect(engine.chatMode).toBe("condense_plus_context");
    await (await engine.chat("Who wrote it?")).getResponse();
    expect(server.requests).toHaveLength(1);
    expect(bodyOf(0).stream).toBe(true);
    const res = await engine.chat("When?");
    expect(server.requests.map((r) => r.streamed)).toEqual([true, false, true]);
    expect(bodyOf(1).messages).toEqual([
      { role: "user", content: expect.stringContaining("user: Who wrote it?\nassistant: Hello there") },
    ]);
    const final = bodyOf(2).messages;
    expect(final.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(final[0]!.content).toContain("chunk0 word");
    expect(final.slice(1).map((m) => m.content)).toEqual(["Who wrote it?", "Hello there", "When?"]);
    const out = await res.getResponse();
    expect(out.response).toBe("Hello there");
    expect(out.usage).toBeDefined();
  });

  it("a disconnect mid-stream closes the provider connection and memory keeps the interrupted turn", async () => {
    server.configure({ tokens: Array(200).fill(" word"), tokenDelayMs: 10 }, "chat");
    const memory = new ChatMemoryBuffer();
    const engine = createChatEngine({ chatMode: "simple", llm: llm(), memory, streaming: true });
    const res = await engine.chat("Tell me a long story.");
    let n = 0;
    for await (const _ of res) if (++n === 3) break;
    await server.waitFor(() => server.requests[0]!.clientAborted);
    expect(server.requests[0]!.tokensSent).toBeLessThan(200);
    expect(memory.getAll().at(-1)).toEqual({
      role: "assistant",
      content: " word word word",
      interrupted: true,
    });
    server.configure({ tokens: ["ok"] }, "chat");
    await (await engine.chat("Go on.")).getResponse();
    expect(bodyOf(1).messages).toEqual([
      { role: "user", content: "Tell me a long story." },
      { role: "assistant", content: ` word word word\n\n${INTERRUPTED_NOTE}` },
      { role: "user", content: "Go on." },
    ]);
  });

  it("a 401 rejects chat() with the typed error; the turn is recorded as interrupted", async () => {
    server.configure({ status: 401 }, "chat");
    const engine = createChatEngine({ chatMode: "simple", llm: llm(), streaming: true });
    await expect(engine.chat("hi")).rejects.toBeInstanceOf(AuthenticationError);
    expect(engine.chatHistory).toEqual([
      { role: "user", content: "hi" },
      { role: "assistant", content: "", interrupted: true },
    ]);
  });
});
