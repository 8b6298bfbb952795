// Citations over HTTP: `citations: true` on /api/query and /api/chat, `citation` SSE events right after the delta
// that completes each marker, numbered sources (number, originalNodeId), and data-citation parts in the AI SDK's
// UI message stream, checked with the real `ai` package.
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
import { MockLLM } from "../../src/index.js";
import { type StartServerOptions, startServer } from "../../src/server/index.js";
import { nodes } from "../support/fixtures.js";
import { citingEngine, engineFactory, errorOf, parseSSE, postJson, Servers } from "./support.js";

const servers = new Servers();
afterEach(() => servers.closeAll());

/** The scripted answer: markers split over chunks, and one with no source. */
const CHUNKS = ["Paris", " [", "1", "]", " and [9]."];
const ANSWER = CHUNKS.join("");

/** A server whose engines cite when asked, over a MockLLM that streams `chunks`, and the fixed nodes n0, n1, n2. */
async function citingServer(
  chunks: string[] = CHUNKS,
  options: Omit<StartServerOptions, "createEngine"> = {},
) {
  const llm = new MockLLM({ response: chunks.join(""), chunking: () => chunks });
  const factories = engineFactory(llm);
  const server = await startServer({ ...factories, ...options });
  servers.track({ server });
  return { llm, ...factories, url: server.url };
}

type SourceView = { id: string; number?: number; originalNodeId?: string; text: string };
type CitationView = { marker: number; nodeId: string | null; start: number; end: number };

describe("POST /api/query with citations: true (server-sent events)", () => {
  it("sends each citation event right after the delta that completes its marker, with the numbered sources", async () => {
    const { url, requests, llm } = await citingServer();
    const res = await postJson(`${url}/api/query`, { query: "Capital?", citations: true });
    expect(res.status).toBe(200);
    const events = parseSSE(await res.text());
    const shape = events.map(([event, data]) =>
      event === "delta"
        ? JSON.stringify((data as { text: string }).text)
        : event === "citation"
          ? `citation ${(data as CitationView).marker}`
          : event,
    );
    expect(shape).toEqual([
      "answer",
      "sources",
      '"Paris"',
      '" ["',
      '"1"',
      '"]"',
      "citation 1",
      '" and [9]."',
      "citation 9",
      "usage",
      "done",
    ]);
    const { sourceNodes } = events[1]![1] as { sourceNodes: SourceView[] };
    expect(sourceNodes.map(({ id, number, originalNodeId }) => ({ id, number, originalNodeId }))).toEqual([
      { id: "n0#source", number: 1, originalNodeId: "n0" },
      { id: "n1#source", number: 2, originalNodeId: "n1" },
    ]);
    const citations = events.filter(([e]) => e === "citation").map(([, d]) => d as CitationView);
    expect(citations).toEqual([
      { marker: 1, nodeId: "n0#source", start: 6, end: 9 },
      { marker: 9, nodeId: null, start: 14, end: 17 }, // no source 9: reported, never mapped elsewhere
    ]);
    for (const c of citations) expect(ANSWER.slice(c.start, c.end)).toBe(`[${c.marker}]`);
    expect(requests).toEqual([{ topK: undefined, mode: undefined, streaming: true, citations: true }]);
    expect(llm.calls[0]!.prompt).toContain("Source 1");
  });

  it("a group of several numbers: one citation event per number, each with the group's offsets", async () => {
    const { url } = await citingServer(["Both [1, ", "2", "] agree."]);
    const events = parseSSE(
      await (await postJson(`${url}/api/query`, { query: "q", citations: true })).text(),
    );
    expect(events.map(([e]) => e)).toEqual([
      "answer",
      "sources",
      "delta",
      "delta",
      "delta",
      "citation",
      "citation",
      "usage",
      "done",
    ]);
    expect(events.filter(([e]) => e === "citation").map(([, d]) => d)).toEqual([
      { marker: 1, nodeId: "n0#source", start: 5, end: 11 },
      { marker: 2, nodeId: "n1#source", start: 5, end: 11 },
    ]);
  });

  it("without citations: a plain engine, no citation events, sources without numbers", async () => {
    const { url, requests } = await citingServer();
    const events = parseSSE(await (await postJson(`${url}/api/query`, { query: "q" })).text());
    expect(events.some(([e]) => e === "citation")).toBe(false);
    const { sourceNodes } = events[1]![1] as { sourceNodes: SourceView[] };
    expect(sourceNodes.map((s) => s.id)).toEqual(["n0", "n1"]);
    for (const s of sourceNodes) {
      expect(s).not.toHaveProperty("number");
      expect(s).not.toHaveProperty("originalNodeId");
    }
    expect(requests[0]!.citations).toBe(false);
  });

  it("stream: false answers JSON with the citations and the numbered sources", async () => {
    const { url, llm } = await citingServer();
    const res = await postJson(`${url}/api/query`, { query: "q", citations: true, stream: false });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      response: string;
      sourceNodes: SourceView[];
      citations: CitationView[];
    };
    expect(body.response).toBe(ANSWER);
    expect(body.citations).toEqual([
      { marker: 1, nodeId: "n0#source", start: 6, end: 9 },
      { marker: 9, nodeId: null, start: 14, end: 17 },
    ]);
    expect(body.sourceNodes[1]).toMatchObject({ id: "n1#source", number: 2, originalNodeId: "n1" });
    expect(llm.calls[0]!.streamed).toBe(false);
    // Not asked: no `citations` field, as before.
    const plain = (await (
      await postJson(`${url}/api/query`, { query: "q", stream: false })
    ).json()) as object;
    expect(plain).not.toHaveProperty("citations");
  });

  it("a citing engine that answers without streaming: its markers still come as citation events", async () => {
    const llm = new MockLLM({ response: ANSWER });
    const server = await startServer({
      createEngine: (request) => citingEngine(llm, nodes(2), { ...request, streaming: false }),
    });
    servers.track({ server });
    const events = parseSSE(await (await postJson(`${server.url}/api/query`, { query: "q" })).text());
    expect(events.map(([e]) => e)).toEqual([
      "answer",
      "sources",
      "delta",
      "citation",
      "citation",
      "usage",
      "done",
    ]);
    expect(events.filter(([e]) => e === "citation").map(([, d]) => (d as CitationView).nodeId)).toEqual([
      "n0#source",
      null,
    ]);
  });

  it("checks the field: a non-boolean is 400 invalid_citations; unknown fields are still refused", async () => {
    const { url, llm } = await citingServer();
    for (const [body, code] of [
      [{ query: "q", citations: "yes" }, "invalid_citations"],
      [{ query: "q", citations: 1 }, "invalid_citations"],
      [{ query: "q", citations: null }, "invalid_citations"],
      [{ query: "q", citation: true }, "unknown_field"],
    ] as const) {
      const res = await postJson(`${url}/api/query`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe(code);
      if (code === "unknown_field") expect(error.message).toContain("citations?");
    }
    expect(llm.calls).toHaveLength(0);
  });
});

describe("POST /api/chat with citations: true", () => {
  it("streamdex's format: answered in condense_question mode through the citing engine, with citation events", async () => {
    const { url, chatRequests } = await citingServer(CHUNKS, { defaultChatMode: "context" });
    const res = await postJson(`${url}/api/chat`, { message: "Capital?", citations: true });
    const events = parseSSE(await res.text());
    expect(events.map(([e]) => e)).toEqual([
      "answer",
      "sources",
      "delta",
      "delta",
      "delta",
      "delta",
      "citation",
      "delta",
      "citation",
      "usage",
      "done",
    ]);
    expect(events.filter(([e]) => e === "citation").map(([, d]) => (d as CitationView).nodeId)).toEqual([
      "n0#source",
      null,
    ]);
    // The server's default chat mode cannot cite: citations answer in condense_question instead.
    expect(chatRequests).toEqual([
      { topK: undefined, mode: undefined, chatMode: "condense_question", streaming: true, citations: true },
    ]);
    const json = await postJson(`${url}/api/chat`, {
      message: "Again?",
      citations: true,
      chatMode: "condense_question",
      stream: false,
    });
    const body = (await json.json()) as { citations: CitationView[]; conversationId: string };
    expect(body.citations.map((c) => c.marker)).toEqual([1, 9]);
  });

  it("a chat mode that cannot cite is a 400 naming condense_question; a bad value is invalid_citations", async () => {
    const { url, llm } = await citingServer();
    const cases: [unknown, string][] = [
      [{ message: "q", citations: true, chatMode: "context" }, "citations_unsupported"],
      [{ message: "q", citations: true, chatMode: "condense_plus_context" }, "citations_unsupported"],
      [{ message: "q", citations: "yes" }, "invalid_citations"],
      [
        { id: "c", messages: [userMessage("q")], citations: true, chatMode: "simple" },
        "citations_unsupported",
      ],
      [{ message: "q", cite: true }, "unknown_field"],
    ];
    for (const [body, code] of cases) {
      const res = await postJson(`${url}/api/chat`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe(code);
      if (code === "citations_unsupported") expect(error.message).toContain('"condense_question"');
    }
    // citations: false with any mode is fine.
    const ok = await postJson(`${url}/api/chat`, { message: "q", citations: false, chatMode: "simple" });
    expect(ok.status).toBe(200);
    await ok.text();
    expect(llm.calls).toHaveLength(1);
  });
});

/** The state a UI framework keeps for a chat, in plain objects. */
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

const userMessage = (text: string): UIMessage => ({
  id: `u-${text.length}`,
  role: "user",
  parts: [{ type: "text", text }],
});

describe("citations in the AI SDK UI message stream (read by the real `ai` package)", () => {
  it("a data-citation chunk right after the text-delta that completes each marker; every chunk validates", async () => {
    const { url } = await citingServer();
    const res = await postJson(`${url}/api/chat`, {
      id: "cite-1",
      messages: [userMessage("Capital?")],
      trigger: "submit-message",
      citations: true,
    });
    expect(res.headers.get("x-vercel-ai-ui-message-stream")).toBe("v1");
    const chunks: UIMessageChunk[] = [];
    const parsed = parseJsonEventStream({ stream: res.body!, schema: uiMessageChunkSchema }).getReader();
    for (let r = await parsed.read(); !r.done; r = await parsed.read()) {
      if (!r.value.success) throw r.value.error; // every chunk matches the AI SDK's own schema
      chunks.push(r.value.value);
    }
    const shape = chunks.map((c) =>
      c.type === "text-delta" ? JSON.stringify(c.delta) : c.type === "data-citation" ? `cite` : c.type,
    );
    expect(shape).toEqual([
      "start",
      "source-document",
      "source-document",
      "text-start",
      '"Paris"',
      '" ["',
      '"1"',
      '"]"',
      "cite",
      '" and [9]."',
      "cite",
      "text-end",
      "finish",
    ]);
    const cites = chunks.filter((c) => c.type === "data-citation");
    expect(cites).toEqual([
      {
        type: "data-citation",
        id: expect.any(String),
        data: { marker: 1, nodeId: "n0#source", start: 6, end: 9 },
      },
      {
        type: "data-citation",
        id: expect.any(String),
        data: { marker: 9, nodeId: null, start: 14, end: 17 },
      },
    ]);
    const ids = cites.map((c) => (c as { id: string }).id);
    expect(new Set(ids).size).toBe(2); // one id per citation: the AI SDK would merge parts sharing one
    expect(cites.some((c) => "transient" in c)).toBe(false); // they stay in the message
    expect(chunks[1]).toEqual({
      type: "source-document",
      sourceId: "n0#source",
      mediaType: "text/plain",
      title: "Source 1",
      providerMetadata: {
        streamdex: {
          score: 1,
          snippet: "chunk0 word word word word word",
          number: 1,
          originalNodeId: "n0",
        },
      },
    });
  });

  it("readUIMessageStream and the AI SDK's chat client keep the data-citation parts in order, after the text", async () => {
    const { url, llm } = await citingServer();
    const transport = new DefaultChatTransport({ api: `${url}/api/chat`, body: { citations: true } });
    const stream = await transport.sendMessages({
      trigger: "submit-message",
      chatId: "rebuild",
      messageId: undefined,
      messages: [userMessage("Capital?")],
      abortSignal: undefined,
    });
    let message: UIMessage | undefined;
    for await (const m of readUIMessageStream({ stream, onError: (e) => expect.fail(String(e)) }))
      message = m;
    expect(message!.parts.map((p) => p.type)).toEqual([
      "source-document",
      "source-document",
      "text",
      "data-citation",
      "data-citation",
    ]);
    const text = message!.parts.find((p) => p.type === "text") as { text: string };
    expect(text.text).toBe(ANSWER);
    const data = message!.parts
      .filter((p) => p.type === "data-citation")
      .map((p) => (p as { data: CitationView }).data);
    expect(data.map((d) => [d.marker, d.nodeId, text.text.slice(d.start, d.end)])).toEqual([
      [1, "n0#source", "[1]"],
      [9, null, "[9]"],
    ]);

    // useChat's own client, over two turns: the data parts it sends back in the history do no harm.
    const seen: unknown[] = [];
    const chat = new (class extends AbstractChat<UIMessage> {
      constructor() {
        super({
          transport: new DefaultChatTransport({ api: `${url}/api/chat`, body: { citations: true } }),
          state: new PlainChatState(),
          onData: (part) => void seen.push(part.type),
        });
      }
    })();
    await chat.sendMessage({ text: "Capital?" });
    await chat.sendMessage({ text: "Sure?" });
    expect(chat.error).toBeUndefined();
    for (const reply of chat.messages.filter((m) => m.role === "assistant")) {
      expect(reply.parts.filter((p) => p.type === "data-citation")).toHaveLength(2);
    }
    expect(seen).toEqual(["data-citation", "data-citation", "data-citation", "data-citation"]);
    // The follow-up was condensed with the history's text only.
    const condense = llm.calls.find((c) => c.prompt.includes("Sure?"))!;
    expect(condense.prompt).toContain(ANSWER);
    expect(condense.prompt).not.toContain("data-citation");
  });
});
