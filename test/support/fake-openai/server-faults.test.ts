import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAIServer, startFakeOpenAI } from "./server.js";
import { chatBody, type Json, KEY, postTo, readAll, sleep, sseData, sseJson } from "./test-client.js";

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
type ErrorBody = { error: { message: string; type: string; param: string | null; code: string | null } };
const errorOf = async (res: Response) => ((await res.json()) as ErrorBody).error;

describe("status faults", () => {
  it("status + failTimes + retryAfter: the first N requests fail, then the route recovers; reset() restarts the count", async () => {
    server.configure({ status: 429, failTimes: 2, retryAfter: "1" }, "chat");
    for (let i = 0; i < 2; i++) {
      const res = await post("/chat/completions", chatBody({ stream: true }));
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(res.headers.get("content-type")).toBe("application/json");
      const err = await errorOf(res);
      expect(err).toMatchObject({ type: "requests", code: "rate_limit_exceeded", param: null });
      expect(err.message).toMatch(/^Rate limit reached for gpt-4o-mini/);
    }
    const ok = await post("/chat/completions", chatBody());
    expect(ok.status).toBe(200);
    expect(ok.headers.get("retry-after")).toBeNull();
    await ok.json();
    expect(server.requests.map((r) => r.status)).toEqual([429, 429, 200]);

    server.reset();
    server.configure({ status: 500, failTimes: 1 }, "chat");
    expect((await post("/chat/completions", chatBody())).status).toBe(500);
    expect((await post("/chat/completions", chatBody())).status).toBe(200);
    expect(server.requests[0]!.index).toBe(0);
  });

  it("maps each status to OpenAI's error type, code and message", async () => {
    const cases: [number, Partial<ErrorBody["error"]>, RegExp][] = [
      [400, { type: "invalid_request_error", code: null }, /./],
      [
        401,
        { type: "invalid_request_error", code: "invalid_api_key" },
        /^Incorrect API key provided: sk-\*+WXYZ\./,
      ],
      [403, { type: "invalid_request_error", code: "permission_denied" }, /not allowed/],
      [
        404,
        { type: "invalid_request_error", code: "model_not_found" },
        /^The model `gpt-4o-mini` does not exist or you do not have access to it\.$/,
      ],
      [429, { type: "requests", code: "rate_limit_exceeded" }, /Rate limit/],
      [500, { type: "server_error", code: null }, /server had an error/],
      [503, { type: "server_error", code: null }, /overloaded/],
    ];
    for (const [status, shape, message] of cases) {
      server.configure({ status });
      const res = await post("/chat/completions", chatBody());
      expect(res.status).toBe(status);
      const err = await errorOf(res);
      expect(Object.keys(err)).toEqual(["message", "type", "param", "code"]);
      expect(err).toMatchObject({ ...shape, param: null });
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain(KEY);
    }
  });

  it("errorMessage overrides; echoKeyInError puts the raw bearer token in the message", async () => {
    server.configure({ status: 400, errorMessage: "custom failure" });
    expect((await errorOf(await post("/embeddings", { model: "m", input: "x" }))).message).toBe(
      "custom failure",
    );

    server.configure({ status: 401, echoKeyInError: true });
    expect((await errorOf(await post("/completions", { model: "m", prompt: "x" }))).message).toContain(KEY);
    server.configure({ status: 500, echoKeyInError: true });
    expect((await errorOf(await post("/chat/completions", chatBody()))).message).toContain(KEY);
  });

  it("a route config wins over the default, field by field", async () => {
    server.configure({ tokens: ["d"], usage: true });
    server.configure({ tokens: ["r"] }, "chat");
    const chunks = sseJson(await (await post("/chat/completions", chatBody({ stream: true }))).text());
    expect(chunks.map((c) => (c.choices as { delta?: Json }[])[0]?.delta?.content)).toEqual([
      "",
      "r",
      undefined,
      undefined,
    ]);
    expect(chunks.at(-1)!.usage).toMatchObject({ completion_tokens: 1 });
    const legacy = (await (await post("/completions", { model: "m", prompt: "p" })).json()) as {
      choices: Json[];
    };
    expect(legacy.choices[0]!.text).toBe("d");
  });
});

describe("timing faults", () => {
  it("headersDelayMs delays the response headers", async () => {
    server.configure({ headersDelayMs: 60 });
    const res = await post("/embeddings", { model: "m", input: "x" });
    await res.json();
    const rec = server.requests[0]!;
    expect(rec.headersSentAt! - rec.receivedAt).toBeGreaterThanOrEqual(58);
  });

  it("a client that gives up during headersDelayMs is recorded as aborted", async () => {
    server.configure({ headersDelayMs: 5_000 });
    const req = post("/chat/completions", chatBody(), { signal: AbortSignal.timeout(30) });
    await expect(req).rejects.toThrow();
    await server.waitFor(() => server.requests[0]!.clientAborted, 1_000);
    expect(server.requests[0]).toMatchObject({ status: 0, finished: false });
  });

  it("firstTokenDelayMs and tokenDelayMs space out the tokens", async () => {
    server.configure({ tokens: ["a", "b", "c", "d"], firstTokenDelayMs: 60, tokenDelayMs: 25 });
    const res = await post("/chat/completions", chatBody({ stream: true }));
    const done = res.text();
    const rec = server.requests[0]!;
    await server.waitFor(() => rec.tokensSent === 1);
    const firstAt = performance.now();
    expect(firstAt - rec.headersSentAt!).toBeGreaterThanOrEqual(58);
    await server.waitFor(() => rec.finished);
    expect(performance.now() - firstAt).toBeGreaterThanOrEqual(3 * 25 - 8);
    expect(sseJson(await done)).toHaveLength(6);
  });
});

describe("stream faults", () => {
  it("dropAfterTokens destroys the socket: the body read fails after N tokens", async () => {
    server.configure({ tokens: ["a", "b", "c", "d"], dropAfterTokens: 2 });
    const res = await post("/chat/completions", chatBody({ stream: true }));
    expect(res.status).toBe(200);
    const { text, error } = await readAll(res);
    expect(error).toBeInstanceOf(Error);
    const data = sseData(text);
    expect(data).toHaveLength(3);
    expect(text).not.toContain('finish_reason":"stop');
    expect(text).not.toContain("[DONE]");
    const rec = server.requests[0]!;
    expect(rec).toMatchObject({ tokensSent: 2, finished: false, clientAborted: false });
  });

  it("malformedAfterTokens writes one broken event and carries on", async () => {
    server.configure({ tokens: ["a", "b", "c"], malformedAfterTokens: 1 });
    const text = await (await post("/completions", { model: "m", prompt: "p", stream: true })).text();
    const data = sseData(text);
    expect(data).toHaveLength(6);
    expect(data[1]).toBe('{"choices": [oops');
    expect(() => JSON.parse(data[1]!)).toThrow();
    expect(data.at(-1)).toBe("[DONE]");
    expect(
      data
        .filter((d) => d !== data[1])
        .slice(0, -1)
        .map((d) => JSON.parse(d) as Json),
    ).toHaveLength(4);
  });

  it("endWithoutDone ends cleanly after the content tokens: no finish chunk, no usage, no [DONE]", async () => {
    server.configure({ tokens: ["a", "b"], endWithoutDone: true, usage: true });
    const res = await post("/chat/completions", chatBody({ stream: true }));
    const { text, error } = await readAll(res);
    expect(error).toBeUndefined();
    const data = sseData(text).map((d) => JSON.parse(d) as { choices: { finish_reason: unknown }[] });
    expect(data).toHaveLength(3);
    expect(data.every((c) => c.choices[0]!.finish_reason === null)).toBe(true);
    expect(server.requests[0]).toMatchObject({ finished: true, tokensSent: 2 });
  });

  it("records a client abort mid-stream and stops writing", async () => {
    server.configure({ tokenDelayMs: 20 });
    const ac = new AbortController();
    const res = await post("/chat/completions", chatBody({ stream: true }), { signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    await server.waitFor(() => server.requests[0]!.clientAborted);
    const rec = server.requests[0]!;
    expect(rec.finished).toBe(false);
    expect(rec.tokensSent).toBeLessThan(16);
    await server.waitFor(() => server.openStreams() === 0);
    const sent = rec.tokensSent;
    await sleep(60);
    expect(rec.tokensSent).toBe(sent);
  });

  it("honours backpressure: a paused reader stops the writer", async () => {
    server.configure({ tokens: Array.from({ length: 20_000 }, () => "x".repeat(1024)) });
    const res = await post("/chat/completions", chatBody({ stream: true }));
    const reader = res.body!.getReader();
    await reader.read();
    await sleep(200);
    const rec = server.requests[0]!;
    expect(rec.tokensSent).toBeLessThan(10_000);
    expect(rec.backpressureWaits).toBeGreaterThan(0);
    expect(server.openStreams()).toBe(1);
    await reader.cancel();
    await server.waitFor(() => rec.clientAborted);
    expect(rec.tokensSent).toBeLessThan(20_000);
  });
});

describe("non-stream body faults", () => {
  it("nonJson answers 200 text/html", async () => {
    server.configure({ nonJson: true });
    const res = await post("/chat/completions", chatBody());
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await res.text()).toBe("<html>oops</html>");
  });

  it("truncatedJson answers 200 with half a JSON body", async () => {
    server.configure({ truncatedJson: true }, "embeddings");
    const res = await post("/embeddings", { model: "m", input: "x", dimensions: 4 });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const text = await res.text();
    expect(text.startsWith('{"object":"list"')).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
  });
});

describe("server lifecycle", () => {
  it("waitFor rejects with a clear error on timeout", async () => {
    await expect(server.waitFor(() => false, 30)).rejects.toThrow(/condition still false after 30 ms/);
  });

  it("close() does not hang with open streams", async () => {
    const s = await startFakeOpenAI({ tokenDelayMs: 10_000 });
    const res = await postTo(s, "/chat/completions", chatBody({ stream: true }));
    const reader = res.body!.getReader();
    await reader.read();
    await s.waitFor(() => s.requests[0]!.tokensSent === 1);
    expect(s.openStreams()).toBe(1);
    const start = performance.now();
    await s.close();
    expect(performance.now() - start).toBeLessThan(1000);
    expect(s.openStreams()).toBe(0);
    expect(s.requests[0]!.clientAborted).toBe(false);
    await expect(reader.read()).rejects.toThrow();
  });
});

describe("sanity", () => {
  it("a usage chunk reports the tokens actually sent", async () => {
    server.configure({ tokens: ["a", "b", "c"], usage: true });
    const chunks = sseJson(
      await (await post("/completions", { model: "m", prompt: "p", stream: true, max_tokens: 2 })).text(),
    );
    expect(chunks.at(-1)!.usage).toMatchObject({ completion_tokens: 2 });
  });
});
