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
import {
  BaseLLM,
  type LLMMetadata,
  type LLMStream,
  type LLMStreamPart,
  MockLLM,
  TextNode,
} from "../../src/index.js";
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

/** An LLM that streams a fixed list of parts (reasoning and text in any order), then a finish with usage. */
class ScriptedLLM extends BaseLLM {
  readonly metadata: LLMMetadata = {
    model: "scripted",
    contextWindow: 4096,
    numOutput: 256,
    isChatModel: false,
  };
  readonly prompts: string[] = [];
  constructor(private readonly script: LLMStreamPart[]) {
    super();
  }
  protected override async doStreamComplete(prompt: string): Promise<LLMStream> {
    this.prompts.push(prompt);
    const script = this.script;
    return (async function* () {
      yield* script;
      yield {
        type: "finish",
        usage: { promptTokens: 5, completionTokens: 4, totalTokens: 9, reasoningTokens: 2 },
        finishReason: "stop",
      };
    })();
  }
}

/** POSTs one user message to `/api/chat` and reads the answer with the `ai` package's own chunk schema. */
async function uiChunks(url: string): Promise<UIMessageChunk[]> {
  const res = await postJson(`${url}/api/chat`, {
    id: "c1",
    messages: [userMessage("q")],
    trigger: "submit-message",
  });
  const chunks: UIMessageChunk[] = [];
  const parsed = parseJsonEventStream({ stream: res.body!, schema: uiMessageChunkSchema }).getReader();
  for (let r = await parsed.read(); !r.done; r = await parsed.read()) {
    if (!r.value.success) throw r.value.error; // every chunk matches the AI SDK's own schema
    chunks.push(r.value.value);
  }
  return chunks;
}

/** The assistant message the AI SDK's `readUIMessageStream` builds from one answer of `/api/chat`. */
async function rebuiltMessage(url: string): Promise<UIMessage> {
  const transport = new DefaultChatTransport({ api: `${url}/api/chat` });
  const stream = await transport.sendMessages({
    trigger: "submit-message",
    chatId: "rebuild",
    messageId: undefined,
    messages: [userMessage("q")],
    abortSignal: undefined,
  });
  let last: UIMessage | undefined;
  for await (const message of readUIMessageStream({ stream, onError: (e) => expect.fail(String(e)) })) {
    last = message;
  }
  return last!;
}

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
    expect(raw.startsWith('id: 1\ndata: {"type":"start","messageId":"msg-')).toBe(true);
    expect(raw.endsWith("data: [DONE]\n\n")).toBe(true);
    // Every event is numbered (for resuming), 1, 2, 3…; the answer's id rides in the start chunk's metadata.
    const events = raw.split("\n\n").filter(Boolean);
    expect(events.map((e) => /^id: (\d+)\ndata: /.exec(e)?.[1])).toEqual(events.map((_, i) => String(i + 1)));
    expect(chunks[0]).toMatchObject({ messageMetadata: { answerId: res.headers.get("x-answer-id") } });
  });

  it("a reasoning model: reasoning-start/delta/end before the text, usage.reasoningTokens in the metadata", async () => {
    const { url, llm } = servers.track(await mockServer({ reasoning: "Let me think.", response: "Paris." }));
    const chunks = await uiChunks(url);
    expect(chunks.map((c) => c.type)).toEqual([
      "start",
      "source-document",
      "source-document",
      "reasoning-start",
      "reasoning-delta",
      "reasoning-delta",
      "reasoning-delta",
      "reasoning-end",
      "text-start",
      "text-delta",
      "text-end",
      "finish",
    ]);
    const reasoningId = (chunks[3] as { id: string }).id;
    expect(chunks.slice(4, 8)).toEqual([
      { type: "reasoning-delta", id: reasoningId, delta: "Let" },
      { type: "reasoning-delta", id: reasoningId, delta: " me" },
      { type: "reasoning-delta", id: reasoningId, delta: " think." },
      { type: "reasoning-end", id: reasoningId },
    ]);
    expect(chunks[9]).toMatchObject({ type: "text-delta", delta: "Paris." });
    expect(chunks[11]).toMatchObject({
      messageMetadata: { usage: { reasoningTokens: 3, completionTokens: 4 } },
    });

    // The AI SDK's chat client: one reasoning part, then the text part; the reasoning never enters the memory.
    const chat = new Chat(`${url}/api/chat`);
    await chat.sendMessage({ text: "Capital?" });
    const reply = chat.messages.at(-1)!;
    expect(reply.parts.filter((p) => p.type === "reasoning" || p.type === "text")).toEqual([
      expect.objectContaining({ type: "reasoning", text: "Let me think.", state: "done" }),
      expect.objectContaining({ type: "text", text: "Paris.", state: "done" }),
    ]);
    await chat.sendMessage({ text: "Sure?" }); // the client sends the reasoning part back with the history
    const prompt = llm.calls.at(-1)!.prompt;
    expect(prompt).toContain("Paris.");
    expect(prompt).not.toContain("think");
  });

  it("reasoning that resumes after the text began: a new reasoning part each time, the text one part", async () => {
    const llm = new ScriptedLLM([
      { type: "reasoning-delta", text: "First" },
      { type: "reasoning-delta", text: " thought." },
      { type: "text-delta", text: "Par" },
      { type: "reasoning-delta", text: "Second thought." },
      { type: "text-delta", text: "is" },
      { type: "text-delta", text: "." },
      { type: "reasoning-delta", text: "Last." },
    ]);
    const server = await startServer(engineFactory(llm));
    servers.track({ server });
    const chunks = await uiChunks(server.url);
    const ids = new Map<string, string>(); // stream ids as r0, r1, t
    const alias = (id: string, prefix: string) => {
      if (!ids.has(id))
        ids.set(id, `${prefix}${[...ids.values()].filter((v) => v.startsWith(prefix)).length}`);
      return ids.get(id)!;
    };
    const shape = chunks
      .filter((c) => c.type !== "start" && c.type !== "source-document")
      .map((c) => {
        if (c.type.startsWith("reasoning-")) {
          const { id, delta } = c as { id: string; delta?: string };
          return `${c.type}(${alias(id, "r")})${delta === undefined ? "" : `:${delta}`}`;
        }
        if (c.type.startsWith("text-")) {
          const { id, delta } = c as { id: string; delta?: string };
          return `${c.type}(${alias(id, "t")})${delta === undefined ? "" : `:${delta}`}`;
        }
        return c.type;
      });
    expect(shape).toEqual([
      "reasoning-start(r0)",
      "reasoning-delta(r0):First",
      "reasoning-delta(r0): thought.",
      "reasoning-end(r0)",
      "text-start(t0)",
      "text-delta(t0):Par",
      "reasoning-start(r1)",
      "reasoning-delta(r1):Second thought.",
      "reasoning-end(r1)",
      "text-delta(t0):is",
      "text-delta(t0):.",
      "reasoning-start(r2)",
      "reasoning-delta(r2):Last.",
      "reasoning-end(r2)",
      "text-end(t0)",
      "finish",
    ]);

    // readUIMessageStream rebuilds three reasoning parts around the one text part, in the order they opened.
    const message = await rebuiltMessage(server.url);
    expect(message.parts.filter((p) => p.type === "reasoning" || p.type === "text")).toEqual([
      expect.objectContaining({ type: "reasoning", text: "First thought.", state: "done" }),
      expect.objectContaining({ type: "text", text: "Paris.", state: "done" }),
      expect.objectContaining({ type: "reasoning", text: "Second thought.", state: "done" }),
      expect.objectContaining({ type: "reasoning", text: "Last.", state: "done" }),
    ]);
    expect(message.metadata).toMatchObject({ usage: { reasoningTokens: 2 } });
  });

  it("a reasoning-only answer ends with an empty text part; the history a client seeds carries no reasoning", async () => {
    const llm = new ScriptedLLM([{ type: "reasoning-delta", text: "Only thinking." }]);
    const server = await startServer(engineFactory(llm));
    servers.track({ server });
    expect((await uiChunks(server.url)).map((c) => c.type).slice(3)).toEqual([
      "reasoning-start",
      "reasoning-delta",
      "reasoning-end",
      "text-start",
      "text-end",
      "finish",
    ]);
    // A conversation the server does not know is seeded from the client's messages: text parts only.
    const res = await postJson(`${server.url}/api/chat`, {
      id: "seeded",
      messages: [
        userMessage("first"),
        {
          id: "a1",
          role: "assistant",
          parts: [
            { type: "reasoning", text: "SECRET reasoning", state: "done" },
            { type: "text", text: "first answer", state: "done" },
          ],
        },
        userMessage("second"),
      ],
    });
    await res.text();
    expect(llm.prompts.at(-1)).toContain("assistant: first answer");
    expect(llm.prompts.at(-1)).not.toContain("SECRET");
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
    // The old behaviour, kept by `resumeWindowMs: 0`: a client that disconnects aborts its answer at once (the default
    // keeps it running for a resume: test/server/resume.test.ts).
    const { url, llm } = servers.track(
      await mockServer({ response: "w ".repeat(200), chunkDelayMs: 10 }, { resumeWindowMs: 0 }),
    );
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
    expect(chatRequests).toEqual([
      { topK: 1, mode: "refine", chatMode: undefined, streaming: true, citations: false },
    ]);
  });
});

describe("progress of a multi-call mode in the UI message stream", () => {
  it("condense_question + refine: transient data-progress chunks (the ai schema's), to useChat's onData, not the message", async () => {
    const { url } = servers.track(await mockServer({ response: "ok" }));
    const body = { chatMode: "condense_question", mode: "refine", topK: 3 };
    // Every chunk as the ai package parses it.
    const res = await postJson(`${url}/api/chat`, {
      id: "p1",
      messages: [userMessage("q")],
      trigger: "submit-message",
      ...body,
    });
    const chunks: UIMessageChunk[] = [];
    const parsed = parseJsonEventStream({ stream: res.body!, schema: uiMessageChunkSchema }).getReader();
    for (let r = await parsed.read(); !r.done; r = await parsed.read()) {
      if (!r.value.success) throw r.value.error;
      chunks.push(r.value.value);
    }
    const types = chunks.map((c) => c.type);
    expect(types.slice(0, 6)).toEqual([
      "start",
      "data-progress",
      "data-progress",
      "data-progress",
      "data-progress",
      "data-progress",
    ]);
    expect(types.filter((t) => t === "start")).toHaveLength(1);
    expect(types.slice(6, 8)).toEqual(["source-document", "source-document"]);
    expect(types.at(-1)).toBe("finish");
    expect(chunks[1]).toEqual({
      type: "data-progress",
      transient: true,
      data: { mode: "refine", step: 1, total: 3, level: null, done: 0, phase: "start", final: false },
    });

    // The AI SDK's chat client: progress reaches onData, the message keeps only the answer and its sources.
    const seen: unknown[] = [];
    const chat = new (class extends AbstractChat<UIMessage> {
      constructor() {
        super({
          transport: new DefaultChatTransport({ api: `${url}/api/chat`, body }),
          state: new PlainChatState(),
          onData: (part) => void seen.push(part.data),
        });
      }
    })();
    await chat.sendMessage({ text: "q" });
    expect(chat.error).toBeUndefined();
    expect(seen.map((d) => (d as { step: number; phase: string }).phase)).toEqual([
      "start",
      "end",
      "start",
      "end",
      "start",
    ]);
    const reply = chat.messages.at(-1)!;
    expect(reply.parts.some((p) => p.type.startsWith("data-"))).toBe(false);
    expect(reply.parts.filter((p) => p.type === "text")).toEqual([
      expect.objectContaining({ text: "ok", state: "done" }),
    ]);
  });

  it("a later earlier call failing: an error chunk after the progress, then [DONE]", async () => {
    const error = new Error("provider down");
    const { url } = servers.track(
      await mockServer({ response: "ok", failOnStart: (i) => (i === 1 ? error : undefined) }),
    );
    const res = await postJson(`${url}/api/chat`, {
      id: "p2",
      messages: [userMessage("q")],
      trigger: "submit-message",
      chatMode: "condense_question",
      mode: "refine",
      topK: 3,
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    const chunks = text
      .split("\n\n")
      .map((l) => l.replace(/^id: \d+\n/, ""))
      .filter((l) => l.startsWith("data: ") && l !== "data: [DONE]")
      .map((l) => JSON.parse(l.slice(6)) as { type: string });
    expect(chunks.map((c) => c.type)).toEqual([
      "start",
      "data-progress",
      "data-progress",
      "data-progress",
      "error",
    ]);
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });
});
