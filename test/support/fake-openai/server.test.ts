import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAIServer, startFakeOpenAI } from "./server.js";
import { chatBody, type Json, KEY, postTo, sseJson } from "./test-client.js";

let server: FakeOpenAIServer;

beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterEach(async () => {
  await server.waitFor(() => server.openStreams() === 0);
  server.reset();
});
afterAll(async () => {
  await server.close();
});

const post = (path: string, body: unknown, init?: RequestInit) => postTo(server, path, body, init);
describe("chat completions", () => {
  it("answers a non-stream request with OpenAI's exact body", async () => {
    const res = await post("/chat/completions", chatBody());
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    const body = (await res.json()) as Json;
    expect(Object.keys(body)).toEqual([
      "id",
      "object",
      "created",
      "model",
      "choices",
      "usage",
      "system_fingerprint",
    ]);
    expect(body).toEqual({
      id: expect.stringMatching(/^chatcmpl-\d+$/),
      object: "chat.completion",
      created: expect.any(Number),
      model: "gpt-4o-mini",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: " tok".repeat(16), refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 16, total_tokens: 26 },
      system_fingerprint: "fp_fake",
    });
    expect(Math.abs((body.created as number) - Date.now() / 1000)).toBeLessThan(5);
    const rec = server.requests[0]!;
    expect(rec).toMatchObject({ index: 0, route: "chat", method: "POST", path: "/v1/chat/completions" });
    expect(rec).toMatchObject({ status: 200, streamed: false, finished: true, clientAborted: false });
    expect(rec.body).toEqual(chatBody());
    expect(rec.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("streams role chunk, one chunk per token, finish chunk and [DONE] (no usage by default)", async () => {
    server.configure({ tokens: ["Hel", "lo", "!"] });
    const res = await post("/chat/completions", chatBody({ stream: true }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    const text = await res.text();
    const chunks = sseJson(text);
    const first = chunks[0]!;
    const base = {
      id: first.id,
      object: "chat.completion.chunk",
      created: first.created,
      model: "gpt-4o-mini",
      system_fingerprint: "fp_fake",
    };
    expect(first.id).toMatch(/^chatcmpl-\d+$/);
    expect(Object.keys(first)).toEqual(["id", "object", "created", "model", "system_fingerprint", "choices"]);
    const choice = (delta: Json, finish: string | null) => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
    expect(chunks).toEqual([
      choice({ role: "assistant", content: "", refusal: null }, null),
      choice({ content: "Hel" }, null),
      choice({ content: "lo" }, null),
      choice({ content: "!" }, null),
      choice({}, "stop"),
    ]);
    const rec = server.requests[0]!;
    expect(rec).toMatchObject({ streamed: true, tokensSent: 3, finished: true, status: 200 });
  });

  it("with stream_options.include_usage every chunk has usage:null and a usage chunk precedes [DONE]", async () => {
    server.configure({ tokens: ["a", "b"] });
    const res = await post(
      "/chat/completions",
      chatBody({ stream: true, stream_options: { include_usage: true } }),
    );
    const chunks = sseJson(await res.text());
    expect(chunks).toHaveLength(5);
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();
    expect(chunks[3]!.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]);
    const last = chunks[4]!;
    expect(last).toMatchObject({
      object: "chat.completion.chunk",
      system_fingerprint: "fp_fake",
      choices: [],
    });
    expect(last.usage).toEqual({ prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 });
  });

  it("usage:true forces the usage chunk; usage:false suppresses it", async () => {
    server.configure({ tokens: ["a"], usage: true });
    let chunks = sseJson(await (await post("/chat/completions", chatBody({ stream: true }))).text());
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 1 } });
    expect(chunks[0]).not.toHaveProperty("usage");

    server.configure({ tokens: ["a"], usage: false });
    const body = chatBody({ stream: true, stream_options: { include_usage: true } });
    chunks = sseJson(await (await post("/chat/completions", body)).text());
    expect(chunks).toHaveLength(3);
    expect(chunks.every((c) => c.usage === null)).toBe(true);
  });

  it("max_tokens / max_completion_tokens below the token count cut the answer with finish_reason length", async () => {
    const chunks = sseJson(
      await (await post("/chat/completions", chatBody({ stream: true, max_tokens: 3 }))).text(),
    );
    expect(chunks).toHaveLength(5);
    expect((chunks[4]!.choices as Json[])[0]!.finish_reason).toBe("length");
    expect(server.requests[0]!.tokensSent).toBe(3);

    const res = await post("/chat/completions", chatBody({ max_completion_tokens: 2 }));
    const body = (await res.json()) as { choices: Json[]; usage: Json };
    expect(body.choices[0]).toMatchObject({ message: { content: " tok tok" }, finish_reason: "length" });
    expect(body.usage.completion_tokens).toBe(2);
  });
});

describe("legacy completions", () => {
  it("answers non-stream with a text_completion body", async () => {
    server.configure({ tokens: ["x", "y"] });
    const body = (await (
      await post("/completions", { model: "gpt-3.5-turbo-instruct", prompt: "abcdefgh" })
    ).json()) as Json;
    expect(body).toEqual({
      id: expect.stringMatching(/^cmpl-\d+$/),
      object: "text_completion",
      created: expect.any(Number),
      model: "gpt-3.5-turbo-instruct",
      choices: [{ text: "xy", index: 0, logprobs: null, finish_reason: "stop" }],
      usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 },
    });
  });

  it("streams text chunks, a final empty-text chunk, the usage chunk and [DONE]", async () => {
    server.configure({ tokens: ["x", "y"] });
    const res = await post("/completions", {
      model: "m",
      prompt: "abcd",
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = sseJson(await res.text());
    const meta = { id: chunks[0]!.id, object: "text_completion", created: chunks[0]!.created, model: "m" };
    const c = (text: string, finish: string | null) => ({
      ...meta,
      choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
      usage: null,
    });
    expect(chunks).toEqual([
      c("x", null),
      c("y", null),
      c("", "stop"),
      { ...meta, choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } },
    ]);
  });
});

describe("embeddings", () => {
  type EmbBody = {
    object: string;
    data: { object: string; index: number; embedding: unknown }[];
    usage: Json;
  };

  it("returns deterministic unit vectors with the requested dimensions", async () => {
    const body = (await (
      await post("/embeddings", {
        model: "text-embedding-3-small",
        input: ["alpha", "beta", "alpha"],
        dimensions: 8,
      })
    ).json()) as EmbBody & Json;
    expect(Object.keys(body)).toEqual(["object", "data", "model", "usage"]);
    expect(body.object).toBe("list");
    expect(body.model).toBe("text-embedding-3-small");
    expect(body.usage).toEqual({ prompt_tokens: 5, total_tokens: 5 });
    expect(body.data.map((d) => [d.object, d.index])).toEqual([
      ["embedding", 0],
      ["embedding", 1],
      ["embedding", 2],
    ]);
    const [a, b, a2] = body.data.map((d) => d.embedding as number[]);
    expect(a).toHaveLength(8);
    expect(a2).toEqual(a);
    expect(b).not.toEqual(a);
    expect(Math.hypot(...a!)).toBeCloseTo(1, 5);

    const single = (await (await post("/embeddings", { model: "m", input: "alpha" })).json()) as EmbBody;
    const full = single.data[0]!.embedding as number[];
    expect(full).toHaveLength(1536);
  });

  it("base64 encoding decodes to exactly the float format's numbers", async () => {
    const req = { model: "m", input: ["one", "two"], dimensions: 64 };
    const floats = (await (await post("/embeddings", req)).json()) as EmbBody;
    const b64 = (await (await post("/embeddings", { ...req, encoding_format: "base64" })).json()) as EmbBody;
    for (let i = 0; i < 2; i++) {
      const buf = Buffer.from(b64.data[i]!.embedding as string, "base64");
      const decoded = Array.from({ length: buf.length / 4 }, (_, j) => buf.readFloatLE(j * 4));
      expect(decoded).toEqual(floats.data[i]!.embedding);
    }
  });

  it("rejects an empty string input like OpenAI", async () => {
    const res = await post("/embeddings", { model: "m", input: ["ok", ""] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: Json };
    expect(body.error).toEqual({
      message: expect.stringContaining("'$.input' is invalid"),
      type: "invalid_request_error",
      param: null,
      code: null,
    });
  });

  it("maxInputTokens rejects an over-long input with a context length error", async () => {
    server.configure({ maxInputTokens: 4 }, "embeddings");
    const ok = await post("/embeddings", { model: "m", input: "1234567890123456" });
    expect(ok.status).toBe(200);
    const res = await post("/embeddings", { model: "m", input: ["short", "12345678901234567"] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: Json };
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toMatch(
      /^This model's maximum context length is 4 tokens, however you requested 5 tokens/,
    );
  });
});

describe("routing and request errors", () => {
  it("answers unknown URLs with an OpenAI-shaped 404", async () => {
    const res = await fetch(`${server.baseURL}/models`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: {
        message: "Invalid URL (GET /v1/models)",
        type: "invalid_request_error",
        param: null,
        code: null,
      },
    });
    expect(server.requests[0]).toMatchObject({ route: "other", status: 404, finished: true });
  });

  it("answers invalid JSON with a 400", async () => {
    const res = await post("/chat/completions", "{nope");
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: Json };
    expect(body.error).toMatchObject({ type: "invalid_request_error", param: null, code: null });
    expect(body.error.message).toMatch(/could not parse the JSON body/);
  });
});
