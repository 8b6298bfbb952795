import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeTGIServer, startFakeTGI } from "./server.js";
import { chatBody, genBody, type Json, postTo, sseData, sseJson, TOKEN } from "./test-client.js";

let server: FakeTGIServer;

beforeAll(async () => {
  server = await startFakeTGI({}, { modelId: "acme/llm-7b", maxTotalTokens: 64 });
});
afterEach(async () => {
  await server.waitFor(() => server.openStreams() === 0);
  server.reset();
});
afterAll(() => server.close());

const post = (path: string, body: unknown, init?: RequestInit) => postTo(server, path, body, init);
type Token = { id: number; text: string; logprob: number; special: boolean };

describe("POST /generate_stream", () => {
  it("writes one `data:` event per token (no space after the colon), the last with generated_text and details", async () => {
    server.configure({ tokens: ["Hel", "lo", "!"] });
    const res = await post("/generate_stream", genBody());
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const text = await res.text();
    expect(text.startsWith('data:{"index":1,"token":{"id":')).toBe(true);
    const events = sseJson(text);
    expect(events).toHaveLength(4);
    events.slice(0, 3).forEach((e, i) => {
      expect(Object.keys(e)).toEqual(["index", "token", "generated_text", "details"]);
      expect(e).toMatchObject({ index: i + 1, generated_text: null, details: null });
      expect(Object.keys(e.token as Json)).toEqual(["id", "text", "logprob", "special"]);
    });
    expect(events.map((e) => (e.token as Token).text)).toEqual(["Hel", "lo", "!", "</s>"]);
    expect(events.map((e) => (e.token as Token).special)).toEqual([false, false, false, true]);
    expect(events[3]).toMatchObject({
      index: 4,
      generated_text: "Hello!",
      details: { finish_reason: "eos_token", generated_tokens: 4, seed: null, input_length: 6 },
    });
    expect(server.requests[0]).toMatchObject({ route: "generate_stream", streamed: true, tokensSent: 4 });
  });

  it("sends details only when asked, and stops at max_new_tokens or at a stop sequence", async () => {
    server.configure({ tokens: ["a", "b", "c", "d"] });
    const plain = sseJson(await (await post("/generate_stream", { inputs: "x" })).text());
    expect(plain.at(-1)).toMatchObject({ generated_text: "abcd", details: null });
    const cut = sseJson(await (await post("/generate_stream", genBody({ max_new_tokens: 2 }))).text());
    expect(cut.map((e) => (e.token as Token).text)).toEqual(["a", "b"]);
    expect(cut.at(-1)!.details).toMatchObject({ finish_reason: "length", generated_tokens: 2 });
    const stop = sseJson(await (await post("/generate_stream", genBody({ stop: ["bc"] }))).text());
    expect(stop.at(-1)).toMatchObject({ generated_text: "abc", details: { finish_reason: "stop_sequence" } });
    const full = sseJson(await (await post("/generate_stream", genBody({ return_full_text: true }))).text());
    expect(full.at(-1)!.generated_text).toBe("What is Deep Learning?abcd");
  });

  it("reports validation errors inside the stream, after a 200, as TGI does", async () => {
    const long = await post("/generate_stream", genBody({ max_new_tokens: 60 }));
    expect(long.status).toBe(200);
    const [err] = sseJson(await long.text());
    expect(err).toEqual({
      error: expect.stringMatching(
        /^Input validation error: `inputs` tokens \+ `max_new_tokens` must be <= 64/,
      ),
      error_type: "validation",
    });
    const prefill = sseJson(
      await (await post("/generate_stream", genBody({ decoder_input_details: true }))).text(),
    );
    expect(prefill).toEqual([
      { error: expect.stringMatching(/decoder_input_details/), error_type: "validation" },
    ]);
    expect(server.requests.map((r) => r.tokensSent)).toEqual([0, 0]);
  });
});

describe("POST /generate and POST /", () => {
  it("answers { generated_text, details } with TGI's headers", async () => {
    server.configure({ tokens: ["a", "b"] });
    const res = await post("/generate", genBody());
    expect(res.headers.get("x-prompt-tokens")).toBe("6");
    expect(res.headers.get("x-generated-tokens")).toBe("3");
    const body = (await res.json()) as Json;
    expect(body).toMatchObject({
      generated_text: "ab",
      details: { finish_reason: "eos_token", generated_tokens: 3, seed: null, prefill: [] },
    });
    expect(((body.details as Json).tokens as Token[]).map((t) => t.text)).toEqual(["a", "b", "</s>"]);
    expect(await (await post("/generate", { inputs: "x" })).json()).toEqual({ generated_text: "ab" });
  });

  it("answers 422 for a prompt over the limit and for a body without inputs", async () => {
    const long = await post("/generate", genBody({ max_new_tokens: 60 }));
    expect(long.status).toBe(422);
    expect(await long.json()).toMatchObject({ error_type: "validation" });
    const missing = await post("/generate", { parameters: {} });
    expect(missing.status).toBe(422);
    expect(missing.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await missing.text()).toMatch(/missing field `inputs`/);
  });

  it("POST / wraps /generate's answer in an array, or streams with stream: true", async () => {
    server.configure({ tokens: ["z"] });
    expect(await (await post("/", genBody())).json()).toMatchObject([{ generated_text: "z" }]);
    const events = sseJson(await (await post("/", genBody({}, { stream: true }))).text());
    expect(events.at(-1)).toMatchObject({ generated_text: "z" });
    expect(server.requests.map((r) => [r.route, r.streamed])).toEqual([
      ["compat", false],
      ["compat", true],
    ]);
  });
});

describe("POST /v1/chat/completions", () => {
  it("streams chat.completion.chunk events with role on each, the EOS as empty content, then data:[DONE]", async () => {
    server.configure({ tokens: ["Hi", " there"] });
    const text = await (await post("/v1/chat/completions", chatBody({ stream: true }))).text();
    expect(text.endsWith("data:[DONE]\n\n")).toBe(true);
    const chunks = sseJson(text, true);
    expect(chunks).toHaveLength(3);
    for (const c of chunks) {
      expect(Object.keys(c)).toEqual([
        "object",
        "id",
        "created",
        "model",
        "system_fingerprint",
        "choices",
        "usage",
      ]);
      expect(c).toMatchObject({ object: "chat.completion.chunk", id: "", model: "acme/llm-7b", usage: null });
    }
    const choices = chunks.map((c) => (c.choices as Json[])[0]);
    expect(choices.map((c) => (c!.delta as Json).content)).toEqual(["Hi", " there", ""]);
    expect(choices.map((c) => (c!.delta as Json).role)).toEqual(["assistant", "assistant", "assistant"]);
    expect(choices.map((c) => c!.finish_reason)).toEqual([null, null, "stop"]);
  });

  it("adds a usage chunk (empty choices) only with stream_options.include_usage; max_tokens gives length", async () => {
    server.configure({ tokens: ["a", "b", "c"] });
    const body = chatBody({ stream: true, max_tokens: 2, stream_options: { include_usage: true } });
    const chunks = sseJson(await (await post("/v1/chat/completions", body)).text(), true);
    expect((chunks[1]!.choices as Json[])[0]!.finish_reason).toBe("length");
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 2 } });
  });

  it("answers a chat.completion without stream, and 422 template_error without a chat template", async () => {
    server.configure({ tokens: ["o", "k"] });
    const body = (await (await post("/v1/chat/completions", chatBody())).json()) as Json;
    expect(body).toMatchObject({
      object: "chat.completion",
      model: "acme/llm-7b",
      choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
    });
    server.configure({ noChatTemplate: true });
    const res = await post("/v1/chat/completions", chatBody({ stream: true }));
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      error: "Template error: template not found",
      error_type: "template_error",
    });
  });
});

describe("other routes and requests", () => {
  it("GET /info describes the model and limits; GET /health is 200", async () => {
    const info = (await (await fetch(`${server.baseURL}/info`)).json()) as Json;
    expect(info).toMatchObject({
      model_id: "acme/llm-7b",
      model_pipeline_tag: "text-generation",
      max_input_tokens: 63,
      max_total_tokens: 64,
      router: "text-generation-router",
    });
    expect((await fetch(`${server.baseURL}/health`)).status).toBe(200);
  });

  it("unknown paths are an empty 404, wrong methods 405, bad JSON a plain-text 400", async () => {
    const missing = await post("/v1/completions-nope", {});
    expect([missing.status, await missing.text()]).toEqual([404, ""]);
    expect((await fetch(`${server.baseURL}/generate`)).status).toBe(405);
    const bad = await post("/generate", "{oops");
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/^Failed to parse the request body as JSON/);
  });

  it("records method, path, headers and the parsed body", async () => {
    await (await post("/generate", genBody())).json();
    expect(server.requests[0]).toMatchObject({
      index: 0,
      route: "generate",
      method: "POST",
      path: "/generate",
      body: genBody(),
      streamed: false,
      status: 200,
      finished: true,
      clientAborted: false,
    });
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("sseSpace writes `data: ` as the HF router's proxy does", async () => {
    server.configure({ tokens: ["a"], sseSpace: true });
    const text = await (await post("/v1/chat/completions", chatBody({ stream: true }))).text();
    expect(sseData(text, true).at(-1)).toBe("[DONE]");
  });
});
