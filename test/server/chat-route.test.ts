import {
  AbstractChat,
  type ChatState,
  type ChatStatus,
  DefaultChatTransport,
  parseJsonEventStream,
  readUIMessageStream,
  type UIMessage,
  type UIMessageChunk,
  uiMessageChunkSchema,
} from "ai";
import { afterEach, describe, expect, it } from "vitest";
import { MockLLM } from "../../src/llms/mock-llm.js";
import { TextNode } from "../../src/schema/node.js";
import { startServer } from "../../src/server/index.js";
import { engineFactory, errorOf, mockServer, postJson, Servers, until } from "./support.js";

const servers = new Servers();
afterEach(() => servers.closeAll());

/** The state a UI framework keeps for a chat (what `useChat` from `@ai-sdk/react` wraps), in plain objects. */
class PlainChatState implements ChatState<UIMessage> {
  status: ChatStatus = "ready";
  error: Error | undefined = undefined;
  messages: UIMessage[] = [];
  pushMessage = (message: UIMessage) => void this.messages.push(message);
  popMessage = () => void this.messages.pop();
  replaceMessage = (index: number, message: UIMessage) => {
    this.messages[index] = message;
  };
  snapshot = <T>(thing: T): T => structuredClone(thing);
}

/** The AI SDK's own chat client over `DefaultChatTransport`, as `useChat({ api: "/api/chat" })` sets it up. */
class Chat extends AbstractChat<UIMessage> {
  constructor(api: string) {
    super({ transport: new DefaultChatTransport({ api }), state: new PlainChatState() });
  }
}

const userMessage = (text: string): UIMessage => ({
  id: `u-${text.length}`,
  role: "user",
  parts: [{ type: "text", text }],
});

describe("POST /api/chat (AI SDK UI message stream, read by the real `ai` package)", () => {
  it("the AI SDK chat client gets the answer as a text part, with the sources as source-document parts", async () => {
    const { url, llm } = servers.track(await mockServer({ response: "Paris is the capital." }));
    const chat = new Chat(`${url}/api/chat`);
    await chat.sendMessage({ text: "What is the capital?" });
    expect(chat.error).toBeUndefined();
    expect(chat.status).toBe("ready");
    const reply = chat.messages.at(-1)!;
    expect(reply.role).toBe("assistant");
    expect(reply.parts.filter((p) => p.type === "text")).toEqual([
      expect.objectContaining({ type: "text", text: "Paris is the capital.", state: "done" }),
    ]);
    expect(reply.parts.filter((p) => p.type === "source-document")).toEqual([
      expect.objectContaining({ sourceId: "n0", mediaType: "text/plain", title: "n0" }),
      expect.objectContaining({ sourceId: "n1", mediaType: "text/plain", title: "n1" }),
    ]);
    expect(reply.metadata).toMatchObject({ usage: { completionTokens: 4 } });
    expect(llm.calls[0]!.prompt).toContain("What is the capital?");
  });

  it("titles a source by its file name and carries its score and a snippet", async () => {
    const node = new TextNode({
      id: "memo-1",
      text: "The lighthouse keeper kept notes.",
      metadata: { file_name: "memo.md" },
    });
    const factories = engineFactory(new MockLLM({ response: "ok" }), [{ node, score: 0.75 }]);
    const server = await startServer(factories);
    servers.track({ server });
    const chat = new Chat(`${server.url}/api/chat`);
    await chat.sendMessage({ text: "q" });
    expect(chat.messages.at(-1)!.parts.find((p) => p.type === "source-document")).toEqual({
      type: "source-document",
      sourceId: "memo-1",
      mediaType: "text/plain",
      title: "memo.md",
      filename: "memo.md",
      providerMetadata: { streamdex: { score: 0.75, snippet: "The lighthouse keeper kept notes." } },
    });
  });

  it("answers the last user message, remembering the conversation on the server", async () => {
    const { url, llm } = servers.track(await mockServer({ response: "ok" }));
    const chat = new Chat(`${url}/api/chat`);
    await chat.sendMessage({ text: "first question" });
    await chat.sendMessage({ text: "second question" });
    expect(chat.messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant"]);
    expect(llm.calls[1]!.prompt).toContain("user: first question\nassistant: ok\nuser: second question");
  });

  it("sends the protocol's headers and chunks, in order, ending with [DONE]", async () => {
    const { url } = servers.track(await mockServer({ response: "x y" }));
    const res = await postJson(`${url}/api/chat`, {
      id: "c1",
      messages: [userMessage("q")],
      trigger: "submit-message",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(res.headers.get("x-vercel-ai-ui-message-stream")).toBe("v1");
    const [forParser, forRaw] = res.body!.tee();
    const chunks: UIMessageChunk[] = [];
    const parsed = parseJsonEventStream({ stream: forParser, schema: uiMessageChunkSchema }).getReader();
    for (let r = await parsed.read(); !r.done; r = await parsed.read()) {
      if (!r.value.success) throw r.value.error; // every chunk matches the AI SDK's own schema
      chunks.push(r.value.value);
    }
    expect(chunks.map((c) => c.type)).toEqual([
      "start",
      "source-document",
      "source-document",
      "text-start",
      "text-delta",
      "text-delta",
      "text-end",
      "finish",
    ]);
    const textId = (chunks[3] as { id: string }).id;
    expect(chunks.slice(4, 6)).toEqual([
      { type: "text-delta", id: textId, delta: "x" },
      { type: "text-delta", id: textId, delta: " y" },
    ]);
    expect(chunks[7]).toMatchObject({ type: "finish", finishReason: "stop" });
    const raw = await new Response(forRaw).text();
    expect(raw.startsWith('data: {"type":"start","messageId":"msg-')).toBe(true);
    expect(raw.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(
      raw
        .split("\n\n")
        .filter(Boolean)
        .every((e) => e.startsWith("data: ")),
    ).toBe(true);
  });

  it("an error mid-stream is an error chunk the AI SDK reports, with the partial text kept", async () => {
    const { url } = servers.track(await mockServer({ response: "a b c", failAfterChunks: 1 }));
    const transport = new DefaultChatTransport({ api: `${url}/api/chat` });
    const stream = await transport.sendMessages({
      trigger: "submit-message",
      chatId: "c",
      messageId: undefined,
      messages: [userMessage("q")],
      abortSignal: undefined,
    });
    const errors: Error[] = [];
    let last: UIMessage | undefined;
    for await (const message of readUIMessageStream({ stream, onError: (e) => errors.push(e as Error) })) {
      last = message;
    }
    const text = last!.parts.find((p) => p.type === "text");
    expect(text).toMatchObject({ text: "a", state: "done" });
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/failed after 1 deltas/)]);
    const chat = new Chat(`${url}/api/chat`);
    await chat.sendMessage({ text: "q" });
    expect(chat.status).toBe("error");
    expect(chat.error?.message).toMatch(/The answer stream failed after 1 deltas/);
  });

  it("stopping the chat client aborts the LLM call", async () => {
    const { url, llm } = servers.track(await mockServer({ response: "w ".repeat(200), chunkDelayMs: 10 }));
    const chat = new Chat(`${url}/api/chat`);
    const sending = chat.sendMessage({ text: "q" });
    await until(() => (llm.calls[0]?.chunksProduced ?? 0) >= 2);
    await chat.stop();
    await sending;
    await until(() => llm.calls[0]!.aborted);
    expect(llm.calls[0]!.chunksProduced).toBeLessThan(200);
  });

  it("rejects a body without a user message, and passes topK and mode through", async () => {
    const { url, chatRequests } = servers.track(await mockServer({ response: "ok" }));
    const none = await postJson(`${url}/api/chat`, { messages: [{ id: "a", role: "assistant", parts: [] }] });
    expect(none.status).toBe(400);
    expect((await errorOf(none)).code).toBe("no_user_message");
    expect((await postJson(`${url}/api/chat`, { messages: "hi" })).status).toBe(400);
    const empty = await postJson(`${url}/api/chat`, { messages: [userMessage(" ")] });
    expect((await errorOf(empty)).code).toBe("empty_query");
    const ok = await postJson(`${url}/api/chat`, { messages: [userMessage("q")], topK: 1, mode: "refine" });
    await ok.text();
    expect(chatRequests).toEqual([{ topK: 1, mode: "refine", chatMode: undefined, streaming: true }]);
  });
});
