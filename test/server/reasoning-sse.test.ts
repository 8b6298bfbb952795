// A reasoning model (the loopback OpenAI server in DeepSeek / vLLM's wire format) behind `/api/query` and
// streamdex's `/api/chat`: `reasoning` events in the model's order, reasoningTokens in `usage`, none in memory.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OpenAI } from "../../src/providers/openai/index.js";
import { startServer } from "../../src/server/index.js";
import { type FakeOpenAIServer, startFakeOpenAI } from "../support/fake-openai/server.js";
import { engineFactory, parseSSE, postJson, Servers } from "./support.js";

let fake: FakeOpenAIServer;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());
const servers = new Servers();
afterEach(async () => {
  await servers.closeAll();
  fake.reset();
});

const THINK = ["Let", " me", " think."];
const ANSWER = ["Par", "is."];

async function reasoningServer() {
  const llm = new OpenAI({ apiKey: "k", baseURL: fake.baseURL, maxRetries: 0, model: "deepseek-reasoner" });
  const server = await startServer(engineFactory(llm));
  servers.track({ server });
  return server.url;
}

/** The events as `name:text` (reasoning and delta) or their name. */
const shape = (events: [string, unknown][]) =>
  events.map(([e, d]) => (e === "reasoning" || e === "delta" ? `${e}:${(d as { text: string }).text}` : e));

const chatBodies = () =>
  fake.requests
    .filter((r) => r.route === "chat")
    .map((r) => JSON.stringify((r.body as { messages: unknown }).messages));

describe("server-sent events of a reasoning model", () => {
  for (const [field, content] of [
    ["reasoning_content", "null"], // DeepSeek's API
    ["reasoning", "empty"], // Ollama, OpenRouter
  ] as const) {
    it(`/api/query: reasoning events before the deltas (delta.${field}), reasoningTokens in usage`, async () => {
      fake.configure({
        tokens: ANSWER,
        reasoningTokens: THINK,
        reasoningField: field,
        reasoningDeltaContent: content,
      });
      const url = await reasoningServer();
      const events = parseSSE(
        await (await postJson(`${url}/api/query`, { query: "Capital of France?" })).text(),
      );
      expect(shape(events)).toEqual([
        "answer",
        "sources",
        "reasoning:Let",
        "reasoning: me",
        "reasoning: think.",
        "delta:Par",
        "delta:is.",
        "usage",
        "done",
      ]);
      expect(events.at(-2)![1]).toMatchObject({
        reasoningTokens: THINK.length,
        completionTokens: THINK.length + ANSWER.length,
      });
      expect(events.at(-1)![1]).toMatchObject({ finishReason: "stop" });
    });
  }

  it("/api/query: reasoning that resumes after the text began is a reasoning event where it came", async () => {
    fake.configure({ tokens: ANSWER, reasoningTokens: ["Hmm."], reasoningAfterTokens: 1 });
    const url = await reasoningServer();
    const events = parseSSE(await (await postJson(`${url}/api/query`, { query: "q" })).text());
    expect(shape(events)).toEqual([
      "answer",
      "sources",
      "delta:Par",
      "reasoning:Hmm.",
      "delta:is.",
      "usage",
      "done",
    ]);
  });

  it('/api/query "stream": false: the JSON answer has the reasoning apart from the response', async () => {
    fake.configure({ tokens: ANSWER, reasoningTokens: THINK });
    const url = await reasoningServer();
    const body = await (await postJson(`${url}/api/query`, { query: "q", stream: false })).json();
    expect(body).toMatchObject({
      response: "Paris.",
      reasoning: "Let me think.",
      usage: { reasoningTokens: THINK.length },
    });
  });

  it("/api/chat { message }: the same events; the next turn's model request holds no reasoning", async () => {
    fake.configure({ tokens: ANSWER, reasoningTokens: ["SECRET", " THOUGHT"] });
    const url = await reasoningServer();
    const first = await postJson(`${url}/api/chat`, { message: "Capital of France?", conversationId: "c-1" });
    const events = parseSSE(await first.text());
    expect(shape(events)).toEqual([
      "answer",
      "sources",
      "reasoning:SECRET",
      "reasoning: THOUGHT",
      "delta:Par",
      "delta:is.",
      "usage",
      "done",
    ]);
    expect(events.at(-2)![1]).toMatchObject({ reasoningTokens: 2 });

    fake.configure({ tokens: ["Yes."] });
    await (await postJson(`${url}/api/chat`, { message: "Sure?", conversationId: "c-1" })).text();
    const second = chatBodies().at(-1)!;
    expect(second).toContain("Paris."); // the earlier answer is in the conversation
    expect(second).not.toMatch(/SECRET|THOUGHT/); // its reasoning is not
  });
});
