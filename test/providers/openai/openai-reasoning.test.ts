// Reasoning from OpenAI-compatible servers (DeepSeek, vLLM, Ollama, OpenRouter...), in their real wire formats on
// the loopback server: reasoning-delta parts apart from the text, reasoning tokens in usage, malformed fields typed.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  Document,
  type LLMStreamPart,
  MalformedResponseError,
  MockEmbedding,
  VectorStoreIndex,
} from "../../../src/index.js";
import { OpenAI } from "../../../src/providers/openai/index.js";
import { type FakeOpenAIServer, startFakeOpenAI } from "../../support/fake-openai/server.js";

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(() => server.close());
afterEach(() => server.reset());

const llm = () =>
  new OpenAI({ apiKey: "k", baseURL: server.baseURL, maxRetries: 0, model: "deepseek-reasoner" });
const THINK = ["Let", " me", " think."];
const ANSWER = ["Par", "is."];

async function parts(stream: AsyncIterable<LLMStreamPart>): Promise<LLMStreamPart[]> {
  const out: LLMStreamPart[] = [];
  for await (const part of stream) out.push(part);
  return out;
}
const kinds = (ps: LLMStreamPart[]) =>
  ps.map((p) => (p.type === "text-delta" || p.type === "reasoning-delta" ? `${p.type}:${p.text}` : p.type));

describe("OpenAI-compatible reasoning", () => {
  for (const [field, content] of [
    ["reasoning_content", "omit"], // vLLM, llama.cpp's server
    ["reasoning_content", "null"], // DeepSeek's API
    ["reasoning", "empty"], // Ollama, OpenRouter
  ] as const) {
    it(`streams delta.${field} (content ${content}) as reasoning-delta parts, one per chunk, before the text`, async () => {
      server.configure({
        tokens: ANSWER,
        reasoningTokens: THINK,
        reasoningField: field,
        reasoningDeltaContent: content,
      });
      const got = await parts(await llm().streamChat([{ role: "user", content: "Capital of France?" }]));
      expect(kinds(got).filter((k) => k !== "finish")).toEqual([
        "reasoning-delta:Let",
        "reasoning-delta: me",
        "reasoning-delta: think.",
        "text-delta:Par",
        "text-delta:is.",
      ]);
      const usage = got.flatMap((p) => (p.type === "finish" && p.usage ? [p.usage] : [])).at(-1);
      expect(usage).toMatchObject({
        completionTokens: THINK.length + ANSWER.length,
        reasoningTokens: THINK.length,
      });
    });
  }

  it("reasoning that comes after the text began stays reasoning, in order", async () => {
    server.configure({ tokens: ANSWER, reasoningTokens: ["Hmm."], reasoningAfterTokens: 1 });
    const got = kinds(await parts(await llm().streamChat([{ role: "user", content: "q" }])));
    expect(got.filter((k) => k !== "finish")).toEqual([
      "text-delta:Par",
      "reasoning-delta:Hmm.",
      "text-delta:is.",
    ]);
  });

  it("a malformed reasoning field is a MalformedResponseError, and the request is aborted", async () => {
    server.configure({
      tokens: Array(200).fill(" x"),
      reasoningTokens: ["a"],
      malformedReasoning: 42,
      tokenDelayMs: 5,
    });
    const stream = await llm().streamChat([{ role: "user", content: "q" }]);
    await expect(parts(stream)).rejects.toBeInstanceOf(MalformedResponseError);
    await server.waitFor(() => server.requests[0]!.clientAborted);
    expect(server.requests[0]!.tokensSent).toBeLessThan(200);
  });

  it("a non-stream answer keeps message.reasoning_content apart from the text", async () => {
    server.configure({ tokens: ANSWER, reasoningTokens: THINK });
    const res = await llm().chat([{ role: "user", content: "q" }]);
    expect(res.message.content).toBe("Paris.");
    expect(res.reasoning).toBe("Let me think.");
    expect((await llm().complete("q")).reasoning).toBe("Let me think.");
  });

  it("cancelling during the reasoning phase aborts the provider request", async () => {
    server.configure({ tokens: ANSWER, reasoningTokens: Array(200).fill(" hm"), tokenDelayMs: 5 });
    const stream = await llm().streamChat([{ role: "user", content: "q" }]);
    let seen = 0;
    for await (const part of stream) {
      if (part.type === "reasoning-delta" && ++seen === 3) break;
    }
    await server.waitFor(() => server.requests[0]!.clientAborted);
    expect(server.requests[0]!.reasoningSent).toBeLessThan(200);
    expect(server.requests[0]!.tokensSent).toBe(0);
  });
});

describe("reasoning through the query engine", () => {
  it("never enters responseTxt or Response.response; reasoningTxt, parts and Response.reasoning carry it", async () => {
    server.configure({ tokens: ANSWER, reasoningTokens: THINK });
    const embedModel = new MockEmbedding();
    const index = await VectorStoreIndex.fromDocuments(
      [new Document({ text: "Paris is the capital of France." })],
      {
        embedModel,
      },
    );
    const engine = index.asQueryEngine({ streaming: true, llm: llm() });
    const res = await engine.query("Capital of France?");
    const seen: string[] = [];
    for await (const part of res.parts) {
      seen.push(
        part.type === "text-delta" || part.type === "reasoning-delta"
          ? `${part.type}:${part.text}`
          : part.type,
      );
    }
    expect(seen).toEqual([
      "sources",
      "reasoning-delta:Let",
      "reasoning-delta: me",
      "reasoning-delta: think.",
      "text-delta:Par",
      "text-delta:is.",
      "finish",
    ]);
    expect(res.responseTxt).toBe("Paris.");
    expect(res.reasoningTxt).toBe("Let me think.");
    expect(res.usage?.reasoningTokens).toBe(THINK.length);
    const full = await res.getResponse();
    expect(full.response).toBe("Paris.");
    expect(full.reasoning).toBe("Let me think.");

    // The text view of the same kind of answer: reasoning never appears in it.
    server.configure({ tokens: ANSWER, reasoningTokens: THINK });
    const again = await engine.query("Capital of France?");
    const texts: string[] = [];
    for await (const text of again.responseGen) texts.push(text);
    expect(texts).toEqual(["Par", "is."]);
    expect(again.reasoningTxt).toBe("Let me think.");
  });
});
