import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeTGIServer, startFakeTGI, thinkBlockTokens } from "./server.js";
import { genBody, type Json, postTo, sseJson, TOKEN } from "./test-client.js";

// Reasoning on the fake TGI server: the HF router's reasoning field on the Messages API, read through the
// official `openai` SDK (raw chunk JSON), and a reasoning model's `<think>` block as plain tokens.

let server: FakeTGIServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startFakeTGI({}, { modelId: "acme/r1-distill" });
  client = new OpenAI({ apiKey: TOKEN, baseURL: `${server.baseURL}/v1`, maxRetries: 0 });
});
afterEach(async () => {
  await server.waitFor(() => server.openStreams() === 0);
  server.reset();
});
afterAll(() => server.close());

const messages = [{ role: "user" as const, content: "hello there" }];

async function streamChunks(extra: Record<string, unknown> = {}): Promise<Json[]> {
  const stream = await client.chat.completions.create({
    model: "tgi",
    messages,
    stream: true,
    ...extra,
  } as OpenAI.ChatCompletionCreateParamsStreaming);
  const chunks: Json[] = [];
  for await (const chunk of stream) chunks.push(chunk as unknown as Json);
  return chunks;
}

const deltas = (chunks: Json[]): Json[] =>
  chunks.flatMap((c) => (c.choices as Json[]).map((choice) => choice.delta as Json));

describe("Messages API reasoning (reasoningTokens)", () => {
  it("streams one { role, reasoning_content } chunk per piece before the content, counted in the usage", async () => {
    server.configure({ reasoningTokens: ["Okay", ", so"], tokens: ["Par", "is"] });
    const chunks = await streamChunks({ stream_options: { include_usage: true } });
    expect(deltas(chunks)).toEqual([
      { role: "assistant", reasoning_content: "Okay" },
      { role: "assistant", reasoning_content: ", so" },
      { role: "assistant", content: "Par" },
      { role: "assistant", content: "is" },
      { role: "assistant", content: "" }, // the EOS token
    ]);
    expect(chunks[0]).toMatchObject({
      object: "chat.completion.chunk",
      id: "",
      model: "acme/r1-distill",
      usage: null,
      choices: [{ index: 0, logprobs: null, finish_reason: null }],
    });
    expect((chunks[4]!.choices as Json[])[0]!.finish_reason).toBe("stop");
    // TGI's usage has no details object: the reasoning pieces are in completion_tokens (+ 3 tokens + EOS).
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 5 } });
    expect(server.requests[0]).toMatchObject({ reasoningSent: 2, tokensSent: 3, finished: true });
  });

  it('uses delta.reasoning with reasoningField "reasoning"; the default chat stream has no reasoning key', async () => {
    server.configure({ reasoningTokens: ["hm"], reasoningField: "reasoning", tokens: ["a"] });
    expect(deltas(await streamChunks())[0]).toEqual({ role: "assistant", reasoning: "hm" });
    server.configure({ tokens: ["a"] });
    expect(deltas(await streamChunks())).toEqual([
      { role: "assistant", content: "a" },
      { role: "assistant", content: "" },
    ]);
  });

  it("waits tokenDelayMs between reasoning chunks; a break during the reasoning aborts the request", async () => {
    server.configure({ reasoningTokens: Array.from({ length: 40 }, () => " hm"), tokenDelayMs: 20 });
    const stream = await client.chat.completions.create({ model: "tgi", messages, stream: true });
    let n = 0;
    for await (const _ of stream) if (++n === 2) break;
    const rec = server.requests[0]!;
    await server.waitFor(() => rec.clientAborted);
    expect(rec.reasoningSent).toBeLessThan(40);
    expect(rec.tokensSent).toBe(0);
  });

  it("gives message.reasoning_content in a non-stream answer", async () => {
    server.configure({ reasoningTokens: ["Okay", ", so"], tokens: ["Paris"] });
    const res = await client.chat.completions.create({ model: "tgi", messages });
    expect(res.choices[0]!.message as unknown as Json).toEqual({
      role: "assistant",
      content: "Paris",
      reasoning_content: "Okay, so",
    });
    expect(res.usage).toEqual({ prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 });
  });

  it("is ignored by /generate_stream", async () => {
    server.configure({ reasoningTokens: ["r"], tokens: ["a"] });
    const events = sseJson(await (await postTo(server, "/generate_stream", genBody())).text());
    expect(events.map((e) => (e.token as Json).text)).toEqual(["a", "</s>"]);
    expect(server.requests[0]!.reasoningSent).toBe(0);
  });
});

describe("thinkBlockTokens: a reasoning model served without a reasoning parser", () => {
  it("builds the tokens of a content that opens with a think block", () => {
    expect(thinkBlockTokens(["Okay", "."], ["Paris"])).toEqual([
      "<think>",
      "\n",
      "Okay",
      ".",
      "\n",
      "</think>",
      "\n\n",
      "Paris",
    ]);
    expect(thinkBlockTokens(["Okay"], ["ignored"], { unterminated: true })).toEqual([
      "<think>",
      "\n",
      "Okay",
    ]);
  });

  it("streams the block as ordinary tokens on /generate_stream and as content on the Messages API", async () => {
    server.configure({ tokens: thinkBlockTokens(["Hm"], ["Paris"]) });
    const events = sseJson(await (await postTo(server, "/generate_stream", genBody())).text());
    expect(events.map((e) => (e.token as Json).text)).toEqual([
      "<think>",
      "\n",
      "Hm",
      "\n",
      "</think>",
      "\n\n",
      "Paris",
      "</s>",
    ]);
    expect(events.slice(0, -1).every((e) => (e.token as Json).special === false)).toBe(true);
    expect(events.at(-1)!.generated_text).toBe("<think>\nHm\n</think>\n\nParis");

    const content = deltas(await streamChunks()).map((d) => d.content);
    expect(content.join("")).toBe("<think>\nHm\n</think>\n\nParis");
    expect(deltas(await streamChunks()).every((d) => !("reasoning_content" in d))).toBe(true);
  });
});
