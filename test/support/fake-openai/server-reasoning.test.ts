import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAIServer, startFakeOpenAI } from "./server.js";
import { chatBody, type Json, KEY, postTo, sseJson } from "./test-client.js";

// The reasoning knobs of the fake OpenAI server, read through the official SDK: the chunks it yields are the
// raw JSON of the wire, so these are the shapes the provider's mapping is written against.

let server: FakeOpenAIServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startFakeOpenAI();
  client = new OpenAI({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 });
});
afterEach(async () => {
  await server.waitFor(() => server.openStreams() === 0);
  server.reset();
});
afterAll(async () => {
  await server.close();
});

const messages = [{ role: "user" as const, content: "hello there" }];

/** Every chunk the SDK yields for one streamed chat call, as plain JSON. */
async function streamChunks(extra: Record<string, unknown> = {}): Promise<Json[]> {
  const stream = await client.chat.completions.create({
    model: "deepseek-reasoner",
    messages,
    stream: true,
    ...extra,
  } as OpenAI.ChatCompletionCreateParamsStreaming);
  const chunks: Json[] = [];
  for await (const chunk of stream) chunks.push(chunk as unknown as Json);
  return chunks;
}

/** The delta of each chunk that has a choice (the usage chunk has none). */
const deltas = (chunks: Json[]): Json[] =>
  chunks.flatMap((c) => (c.choices as Json[]).map((choice) => choice.delta as Json));

describe("reasoning in chat streams", () => {
  it("streams one delta.reasoning_content chunk per piece (no content key) before the content", async () => {
    server.configure({ reasoningTokens: ["Okay", ", the", " user"], tokens: ["Par", "is"] });
    const chunks = await streamChunks({ stream_options: { include_usage: true } });
    expect(deltas(chunks)).toEqual([
      { role: "assistant", content: "", refusal: null },
      { reasoning_content: "Okay" },
      { reasoning_content: ", the" },
      { reasoning_content: " user" },
      { content: "Par" },
      { content: "is" },
      {},
    ]);
    for (const c of chunks.slice(1, 4)) {
      expect(c).toMatchObject({ object: "chat.completion.chunk", usage: null });
      expect(c.choices).toEqual([
        { index: 0, delta: expect.any(Object), logprobs: null, finish_reason: null },
      ]);
    }
    expect(chunks.at(-1)).toMatchObject({ choices: [] });
    expect(chunks.at(-1)!.usage).toEqual({
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      completion_tokens_details: { reasoning_tokens: 3 },
    });
    expect(server.requests[0]).toMatchObject({ reasoningSent: 3, tokensSent: 2, finished: true });
  });

  it("writes the same events on the wire (the SDK passes them through untouched)", async () => {
    server.configure({ reasoningTokens: ["r"], tokens: ["a"], usage: true });
    const chunks = sseJson(
      await (await postTo(server, "/chat/completions", chatBody({ stream: true }))).text(),
    );
    expect(chunks.map((c) => (c.choices as Json[])[0]?.delta)).toEqual([
      { role: "assistant", content: "", refusal: null },
      { reasoning_content: "r" },
      { content: "a" },
      {},
      undefined,
    ]);
    expect(chunks[1]).not.toHaveProperty("usage"); // include_usage not asked: no usage:null on chunks
    expect(chunks.at(-1)!.usage).toMatchObject({
      completion_tokens: 2,
      completion_tokens_details: { reasoning_tokens: 1 },
    });
  });

  it('reasoningField "reasoning" with reasoningDeltaContent "empty": Ollama / OpenRouter\'s shape', async () => {
    server.configure({
      reasoningTokens: ["We", " need"],
      reasoningField: "reasoning",
      reasoningDeltaContent: "empty",
      tokens: ["Hi"],
    });
    expect(deltas(await streamChunks()).slice(1)).toEqual([
      { content: "", reasoning: "We" },
      { content: "", reasoning: " need" },
      { content: "Hi" },
      {},
    ]);
  });

  it('reasoningDeltaContent "null": DeepSeek\'s shape, content:null then reasoning_content:null', async () => {
    server.configure({ reasoningTokens: ["Hmm"], reasoningDeltaContent: "null", tokens: ["A", "B"] });
    expect(deltas(await streamChunks()).slice(1)).toEqual([
      { content: null, reasoning_content: "Hmm" },
      { content: "A", reasoning_content: null },
      { content: "B", reasoning_content: null },
      {},
    ]);
  });

  it("reasoningAfterTokens sends the reasoning after some content began", async () => {
    server.configure({
      reasoningTokens: ["late", " thought"],
      reasoningAfterTokens: 2,
      tokens: ["a", "b", "c"],
    });
    expect(deltas(await streamChunks()).slice(1)).toEqual([
      { content: "a" },
      { content: "b" },
      { reasoning_content: "late" },
      { reasoning_content: " thought" },
      { content: "c" },
      {},
    ]);
    // Past the last token: after all the content, before the finish chunk.
    server.configure({ reasoningTokens: ["end"], reasoningAfterTokens: 99, tokens: ["a"] });
    expect(deltas(await streamChunks()).slice(1)).toEqual([
      { content: "a" },
      { reasoning_content: "end" },
      {},
    ]);
  });

  it("malformedReasoning sends a non-string reasoning field after the reasoning pieces", async () => {
    server.configure({ reasoningTokens: ["ok"], malformedReasoning: 42, tokens: ["a"] });
    expect(deltas(await streamChunks()).slice(1)).toEqual([
      { reasoning_content: "ok" },
      { reasoning_content: 42 },
      { content: "a" },
      {},
    ]);
    expect(server.requests[0]!.reasoningSent).toBe(2);
    server.configure({ malformedReasoning: { text: "x" }, reasoningField: "reasoning", tokens: ["a"] });
    expect(deltas(await streamChunks()).slice(1, 2)).toEqual([{ reasoning: { text: "x" } }]);
  });

  it("paces reasoning chunks (counted, not timed), and a cancel during the reasoning aborts the request", async () => {
    server.configure({ reasoningTokens: Array.from({ length: 50 }, () => " hm"), tokenDelayMs: 25 });
    const stream = await client.chat.completions.create({ model: "m", messages, stream: true });
    const seen: Json[] = [];
    for await (const chunk of stream) {
      seen.push((chunk.choices[0]?.delta ?? {}) as Json);
      if (seen.length === 3) break; // the SDK aborts the request
    }
    const rec = server.requests[0]!;
    await server.waitFor(() => rec.clientAborted);
    expect(seen.slice(1)).toEqual([{ reasoning_content: " hm" }, { reasoning_content: " hm" }]);
    expect(rec.reasoningSent).toBeLessThan(50);
    expect(rec.tokensSent).toBe(0);
  });

  it("leaves every default unchanged: no reasoning keys, no usage details", async () => {
    server.configure({ tokens: ["a"] });
    const chunks = await streamChunks({ stream_options: { include_usage: true } });
    expect(deltas(chunks)).toEqual([{ role: "assistant", content: "", refusal: null }, { content: "a" }, {}]);
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 });
  });
});

describe("reasoning in non-stream chat answers", () => {
  it("gives message.reasoning_content and counts it in the usage", async () => {
    server.configure({ reasoningTokens: ["Okay", ", so"], tokens: ["Paris"] });
    const res = await client.chat.completions.create({ model: "deepseek-reasoner", messages });
    const message = res.choices[0]!.message as unknown as Json;
    expect(Object.keys(message)).toEqual(["role", "content", "reasoning_content", "refusal"]);
    expect(message).toEqual({
      role: "assistant",
      content: "Paris",
      reasoning_content: "Okay, so",
      refusal: null,
    });
    expect(res.usage).toEqual({
      prompt_tokens: 10,
      completion_tokens: 3,
      total_tokens: 13,
      completion_tokens_details: { reasoning_tokens: 2 },
    });
    expect(server.requests[0]).toMatchObject({ reasoningSent: 2, tokensSent: 1 });
  });

  it('uses message.reasoning with reasoningField "reasoning", and sends a malformed value as is', async () => {
    server.configure({ reasoningTokens: ["x"], reasoningField: "reasoning", tokens: ["a"] });
    let res = await client.chat.completions.create({ model: "m", messages });
    expect(res.choices[0]!.message).toMatchObject({ content: "a", reasoning: "x" });
    expect(res.choices[0]!.message).not.toHaveProperty("reasoning_content");

    server.configure({ malformedReasoning: 42, tokens: ["a"] });
    res = await client.chat.completions.create({ model: "m", messages });
    expect(res.choices[0]!.message).toMatchObject({ content: "a", reasoning_content: 42 });
    expect(res.usage).toEqual({ prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 });
  });
});

describe("legacy completions", () => {
  it("ignore the reasoning knobs", async () => {
    server.configure({ reasoningTokens: ["r"], tokens: ["a"], usage: true });
    const stream = await client.completions.create({ model: "m", prompt: "p", stream: true });
    const chunks: Json[] = [];
    for await (const c of stream) chunks.push(c as unknown as Json);
    expect(chunks.map((c) => (c.choices as Json[])[0]?.text)).toEqual(["a", "", undefined]);
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 });
    expect(server.requests[0]!.reasoningSent).toBe(0);
  });
});
