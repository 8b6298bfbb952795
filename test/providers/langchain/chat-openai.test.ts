import { ChatOpenAI, type ChatOpenAIFields, OpenAI as LangChainOpenAI } from "@langchain/openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AbortError,
  AuthenticationError,
  getResponseSynthesizer,
  ModelNotFoundError,
  RateLimitError,
  RetrieverQueryEngine,
  StreamdexError,
} from "../../../src/index.js";
import { LangChainLLM } from "../../../src/providers/langchain/index.js";
import { type FakeOpenAIServer, startFakeOpenAI } from "../../support/fake-openai/server.js";
import { collect, FixedRetriever, finishParts, nodes } from "../../support/fixtures.js";
import { expectNoSecret } from "./secret-leaks.js";

const KEY = "sk-" + "test-abcdefghijklmnopqrstuvwxyz012345";
let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(() => server.close());
afterEach(() => server.reset());

const chatModel = (fields: ChatOpenAIFields = {}) =>
  new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: KEY,
    configuration: { baseURL: server.baseURL },
    maxRetries: 0,
    streamUsage: true,
    ...fields,
  });

function engineFor(llm: LangChainLLM) {
  const responseSynthesizer = getResponseSynthesizer({ streaming: true, llm });
  return new RetrieverQueryEngine({ retriever: new FixedRetriever(nodes(1)), responseSynthesizer });
}

describe("LangChainLLM + @langchain/openai ChatOpenAI over real HTTP", () => {
  it("streams the server's tokens one delta each, with usage on the final Response", async () => {
    server.configure({ tokens: ["Hel", "lo", " world"] });
    const llm = new LangChainLLM(chatModel());
    expect(llm.supportsStreaming).toBe(true);
    expect(llm.metadata).toMatchObject({ model: "gpt-4o-mini", isChatModel: true });
    const res = await engineFor(llm).query("q");
    expect(await collect(res.responseGen)).toEqual(["Hel", "lo", " world"]);
    const final = await res.getResponse();
    expect(final.response).toBe("Hello world");
    expect(final.usage).toMatchObject({ completionTokens: 3 });
    expect(final.usage!.promptTokens).toBeGreaterThan(0);
    expect(final.usage!.totalTokens).toBe(final.usage!.promptTokens + 3);
    expect(server.requests[0]!.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user" }],
    });
  });

  it("streamChat sends our messages as OpenAI roles; finish reason and usage on the chunks", async () => {
    server.configure({ tokens: ["a", "b"] });
    const stream = await new LangChainLLM(chatModel()).streamChat([
      { role: "system", content: "be brief" },
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
      { role: "user", content: "again" },
    ]);
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    // No empty text-deltas: role-only and usage-only chunks carry no text part.
    expect(chunks.filter((p) => p.type === "text-delta").map((p) => p.text)).toEqual(["a", "b"]);
    expect(finishParts(chunks).find((p) => p.finishReason)?.finishReason).toBe("stop");
    expect(chunks.at(-1)).toMatchObject({ type: "finish", usage: { completionTokens: 2 } });
    expect((server.requests[0]!.body as { messages: unknown }).messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
      { role: "user", content: "again" },
    ]);
  });

  it("streamComplete resolves before the consumer reads a token, and does not run ahead", async () => {
    server.configure({ tokens: Array(50).fill(" t"), tokenDelayMs: 10 });
    const stream = await new LangChainLLM(chatModel()).streamComplete("p");
    expect(server.requests[0]!.tokensSent).toBeLessThanOrEqual(2);
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    await it.return?.();
    await server.waitFor(() => server.requests[0]!.clientAborted);
  });

  it("break is seen by the server as the client closing the connection", async () => {
    server.configure({ tokens: Array(1000).fill(" t"), tokenDelayMs: 2 });
    const res = await engineFor(new LangChainLLM(chatModel())).query("q");
    let n = 0;
    for await (const _ of res) if (++n === 3) break;
    await server.waitFor(() => server.requests[0]!.clientAborted);
    expect(server.requests[0]!.tokensSent).toBeLessThan(1000);
  });

  it("break while the server is silent still closes the connection at once", async () => {
    server.configure({ tokens: ["a", "b"], tokenDelayMs: 60_000 });
    const stream = await new LangChainLLM(chatModel()).streamComplete("p");
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    const started = performance.now();
    await it.return?.();
    await server.waitFor(() => server.requests[0]!.clientAborted, 2000);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("an AbortSignal aborts the request, before the first token and mid-stream", async () => {
    server.configure({ headersDelayMs: 60_000 });
    const ac = new AbortController();
    const p = engineFor(new LangChainLLM(chatModel())).query("q", { signal: ac.signal });
    await server.waitFor(() => server.requests.length === 1);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);
    await server.waitFor(() => server.requests[0]!.clientAborted);

    server.reset();
    server.configure({ tokens: Array(1000).fill(" t"), tokenDelayMs: 5 });
    const ac2 = new AbortController();
    const res = await engineFor(new LangChainLLM(chatModel())).query("q", { signal: ac2.signal });
    const it = res[Symbol.asyncIterator]();
    await it.next();
    ac2.abort();
    await expect(collect({ [Symbol.asyncIterator]: () => it })).rejects.toBeInstanceOf(AbortError);
    await server.waitFor(() => server.requests[0]!.clientAborted);
  });

  it("a 401 before the first token rejects query() with AuthenticationError, never showing the key", async () => {
    server.configure({ status: 401, echoKeyInError: true });
    const err = await engineFor(new LangChainLLM(chatModel()))
      .query("q")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toBeInstanceOf(StreamdexError);
    expect((err as AuthenticationError).status).toBe(401);
    expect((err as Error).message).toMatch(/ChatOpenAI \(gpt-4o-mini\).*401.*Incorrect API key/);
    expect((err as Error).message).not.toContain(KEY);
    expect((err as AuthenticationError).providerMessage).not.toContain(KEY);
  });

  it("a 401 that echoes the key keeps it out of the whole error, cause included (chat and streamChat)", async () => {
    server.configure({ status: 401, echoKeyInError: true });
    const llm = new LangChainLLM(chatModel());
    const messages = [{ role: "user" as const, content: "hi" }];
    const viaChat = await llm.chat(messages).catch((e: unknown) => e);
    const viaStream = await (async () => {
      for await (const _ of await llm.streamChat(messages));
    })().catch((e: unknown) => e);
    expect(server.requests).toHaveLength(2);
    for (const err of [viaChat, viaStream]) {
      expect(err).toBeInstanceOf(AuthenticationError);
      expect((err as AuthenticationError).status).toBe(401);
      // Still says what went wrong and what to do...
      expect((err as Error).message).toMatch(
        /ChatOpenAI \(gpt-4o-mini\).*refused \(401\).*Check the model's API key/,
      );
      // ...and the cause still says what the SDK threw, scrubbed.
      const cause = (err as Error).cause as Error & { status?: number };
      expect(cause).toBeInstanceOf(Error);
      expect(cause.message).toMatch(/Incorrect API key provided: \[redacted\]/);
      expect(cause.status).toBe(401);
      expectNoSecret(err, KEY);
    }
  });

  it("404 and 429 are typed too, for streaming and for complete()", async () => {
    server.configure({ status: 404 });
    await expect(new LangChainLLM(chatModel()).streamComplete("p")).rejects.toBeInstanceOf(
      ModelNotFoundError,
    );
    server.configure({ status: 429 });
    await expect(new LangChainLLM(chatModel()).complete("p")).rejects.toBeInstanceOf(RateLimitError);
  });

  it("complete() and chat() go through invoke(), with usage and finish reason", async () => {
    server.configure({ tokens: ["x", "y"] });
    const res = await new LangChainLLM(chatModel()).complete("p");
    expect(res).toMatchObject({ text: "xy", finishReason: "stop", usage: { completionTokens: 2 } });
    expect(server.requests[0]!.streamed).toBe(false);
  });

  it("ChatOpenAI built with streaming: false is detected as not streaming", () => {
    expect(new LangChainLLM(chatModel({ streaming: false })).supportsStreaming).toBe(false);
  });

  it("a completion-style LangChain OpenAI LLM streams through /v1/completions", async () => {
    server.configure({ tokens: ["one", " two"] });
    const model = new LangChainOpenAI({
      model: "gpt-3.5-turbo-instruct",
      apiKey: KEY,
      configuration: { baseURL: server.baseURL },
      maxRetries: 0,
    });
    const llm = new LangChainLLM(model);
    expect(llm.metadata.isChatModel).toBe(false);
    expect(await collect(await engineFor(llm).query("q"))).toEqual(["one", " two"]);
    expect(server.requests[0]!.path).toBe("/v1/completions");
  });
});
