// Reasoning through LangChain: ChatOpenAI fills additional_kwargs.reasoning_content from an OpenAI-compatible
// server's delta.reasoning_content (loopback server, real wire format); standard and Anthropic reasoning blocks.
import { ChatOpenAI } from "@langchain/openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { getResponseSynthesizer, RetrieverQueryEngine } from "../../../src/index.js";
import { chunkMapper } from "../../../src/providers/langchain/chunks.js";
import { LangChainLLM } from "../../../src/providers/langchain/index.js";
import { type FakeOpenAIServer, startFakeOpenAI } from "../../support/fake-openai/server.js";
import { FixedRetriever, nodes } from "../../support/fixtures.js";

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(() => server.close());
afterEach(() => server.reset());

const chatModel = () =>
  new ChatOpenAI({
    model: "deepseek-reasoner",
    apiKey: "k",
    configuration: { baseURL: server.baseURL },
    maxRetries: 0,
    streamUsage: true,
  });

describe("LangChainLLM reasoning", () => {
  it("ChatOpenAI's reasoning_content streams as reasoning, never as the answer", async () => {
    server.configure({ tokens: ["Par", "is."], reasoningTokens: ["Let", " me", " think."] });
    const llm = new LangChainLLM(chatModel());
    const synth = getResponseSynthesizer({ streaming: true, llm });
    const res = await new RetrieverQueryEngine({
      retriever: new FixedRetriever(nodes(1)),
      responseSynthesizer: synth,
    }).query("q");
    const kinds: string[] = [];
    for await (const part of res.parts)
      if (part.type.endsWith("-delta")) kinds.push(`${part.type}:${(part as { text: string }).text}`);
    expect(kinds).toEqual([
      "reasoning-delta:Let",
      "reasoning-delta: me",
      "reasoning-delta: think.",
      "text-delta:Par",
      "text-delta:is.",
    ]);
    expect(res.responseTxt).toBe("Paris.");
    expect(res.reasoningTxt).toBe("Let me think.");
  });

  it("a non-stream chat keeps the reasoning apart", async () => {
    server.configure({ tokens: ["Par", "is."], reasoningTokens: ["Let", " me", " think."] });
    const res = await new LangChainLLM(chatModel()).chat([{ role: "user", content: "q" }]);
    expect(res.message.content).toBe("Paris.");
    expect(res.reasoning).toBe("Let me think.");
  });

  it("reads LangChain's standard reasoning blocks and Anthropic's thinking blocks", async () => {
    const map = chunkMapper();
    const parts = [
      map({ content: [{ type: "reasoning", reasoning: "first " }] }),
      map({
        content: [
          { type: "thinking", thinking: "then" },
          { type: "text", text: "Answer" },
        ],
      }),
      map({ content: "", response_metadata: { finish_reason: "stop" } }),
    ].flat();
    expect(parts.map((p) => [p.type, "text" in p ? p.text : undefined])).toEqual([
      ["reasoning-delta", "first "],
      ["reasoning-delta", "then"],
      ["text-delta", "Answer"],
      ["finish", undefined],
    ]);
  });
});
