import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeTGIServer, startFakeTGI } from "./server.js";
import {
  chatBody,
  genBody,
  type Json,
  postTo,
  readAll,
  sleep,
  sseData,
  sseJson,
  TOKEN,
} from "./test-client.js";

let server: FakeTGIServer;

beforeAll(async () => {
  server = await startFakeTGI();
});
afterEach(async () => {
  await server.waitFor(() => server.openStreams() === 0);
  server.reset();
});
afterAll(() => server.close());

const post = (path: string, body: unknown, init?: RequestInit) => postTo(server, path, body, init);
const tokenTexts = (events: Json[]) => events.map((e) => (e.token as { text: string }).text);

describe("status faults", () => {
  it("status + failTimes + retryAfter: the first N requests fail, then the route recovers; reset() restarts the count", async () => {
    server.configure({ status: 429, failTimes: 2, retryAfter: "1" }, "generate_stream");
    for (let i = 0; i < 2; i++) {
      const res = await post("/generate_stream", genBody());
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(await res.json()).toEqual({ error: "Model is overloaded", error_type: "overloaded" });
    }
    const ok = await post("/generate_stream", genBody());
    expect(ok.status).toBe(200);
    await ok.text();
    expect((await post("/generate", genBody())).status).toBe(200);
    expect(server.requests.map((r) => r.status)).toEqual([429, 429, 200, 200]);

    server.reset();
    server.configure({ status: 503, failTimes: 1 });
    expect((await post("/generate", genBody())).status).toBe(503);
    expect((await post("/generate", genBody())).status).toBe(200);
  });

  it("answers each status with TGI's or the HF front door's body, never the raw token", async () => {
    const cases: [number, Json][] = [
      [401, { error: "Invalid credentials in Authorization header" }],
      [403, { error: expect.stringMatching(/^Access to model my\/model is restricted/) }],
      [404, { error: "Model my/model does not exist" }],
      [422, { error: expect.stringMatching(/^Input validation error/), error_type: "validation" }],
      [424, { error: expect.stringMatching(/^Request failed during generation/), error_type: "generation" }],
      [429, { error: "Model is overloaded", error_type: "overloaded" }],
      [500, { error: "Incomplete generation", error_type: "incomplete_generation" }],
      [503, { error: "Model my/model is currently loading", estimated_time: 20 }],
      [418, { error: "Request failed with status 418" }],
    ];
    for (const [status, body] of cases) {
      server.configure({ status });
      const res = await post("/v1/chat/completions", chatBody({ model: "my/model", stream: true }));
      expect(res.status).toBe(status);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual(body);
      expect(text).not.toContain(TOKEN);
    }
  });

  it("errorMessage overrides, estimatedTime sets the loading estimate, echoKeyInError leaks the token", async () => {
    server.configure({ status: 422, errorMessage: "custom" });
    expect(await (await post("/generate", genBody())).json()).toEqual({
      error: "custom",
      error_type: "validation",
    });
    server.configure({ status: 503, estimatedTime: 3.5 });
    expect(await (await post("/generate", genBody())).json()).toMatchObject({ estimated_time: 3.5 });
    server.configure({ status: 401, echoKeyInError: true });
    expect(((await (await post("/generate", genBody())).json()) as Json).error).toContain(TOKEN);
  });

  it("requireToken: a missing or wrong bearer token gets a 401", async () => {
    server.configure({ requireToken: TOKEN });
    expect((await post("/generate", genBody())).status).toBe(200);
    const none = await fetch(`${server.baseURL}/generate`, {
      method: "POST",
      body: JSON.stringify(genBody()),
    });
    expect(none.status).toBe(401);
    const wrong = await post("/generate", genBody(), {
      headers: { "content-type": "application/json", authorization: "Bearer hf_wrong" },
    });
    expect(await wrong.json()).toEqual({ error: "Invalid credentials in Authorization header" });
  });

  it("a route config wins over the default, field by field", async () => {
    server.configure({ tokens: ["d"], sseSpace: false });
    server.configure({ tokens: ["r"] }, "chat");
    const chat = sseJson(await (await post("/v1/chat/completions", chatBody({ stream: true }))).text(), true);
    expect(((chat[0]!.choices as Json[])[0]!.delta as Json).content).toBe("r");
    expect(await (await post("/generate", { inputs: "x" })).json()).toEqual({ generated_text: "d" });
  });
});

describe("timing faults", () => {
  it("headersDelayMs delays the headers; a client that gives up meanwhile is recorded as aborted", async () => {
    server.configure({ headersDelayMs: 60 });
    await (await post("/generate", genBody())).json();
    const rec = server.requests[0]!;
    expect(rec.headersSentAt! - rec.receivedAt).toBeGreaterThanOrEqual(58);

    server.reset();
    server.configure({ headersDelayMs: 5_000 });
    await expect(post("/generate_stream", genBody(), { signal: AbortSignal.timeout(30) })).rejects.toThrow();
    await server.waitFor(() => server.requests[0]!.clientAborted, 1_000);
    expect(server.requests[0]).toMatchObject({ status: 0, finished: false });
  });

  it("firstTokenDelayMs and tokenDelayMs space out the tokens", async () => {
    server.configure({ tokens: ["a", "b", "c", "d"], firstTokenDelayMs: 60, tokenDelayMs: 25 });
    const res = await post("/generate_stream", genBody());
    const done = res.text();
    const rec = server.requests[0]!;
    await server.waitFor(() => rec.tokensSent === 1);
    const firstAt = performance.now();
    expect(firstAt - rec.headersSentAt!).toBeGreaterThanOrEqual(58);
    await server.waitFor(() => rec.finished);
    expect(performance.now() - firstAt).toBeGreaterThanOrEqual(4 * 25 - 8);
    expect(sseJson(await done)).toHaveLength(5);
  });

  it("keepAlive writes axum's empty comment before and between tokens", async () => {
    server.configure({ tokens: ["a"], keepAlive: true });
    const data = sseData(await (await post("/generate_stream", genBody())).text());
    expect(data.map((d) => (d === ":" ? ":" : "event"))).toEqual([":", "event", ":", "event"]);
  });
});

describe("stream faults", () => {
  it("dropAfterTokens destroys the socket after N tokens: no final event, the body read fails", async () => {
    server.configure({ tokens: ["a", "b", "c", "d"], dropAfterTokens: 2 });
    const res = await post("/generate_stream", genBody());
    const { text, error } = await readAll(res);
    expect(error).toBeInstanceOf(Error);
    expect(tokenTexts(sseJson(text))).toEqual(["a", "b"]);
    expect(server.requests[0]).toMatchObject({ tokensSent: 2, finished: false, clientAborted: false });
  });

  it("malformedAfterTokens writes one broken data line and carries on", async () => {
    server.configure({ tokens: ["a", "b"], malformedAfterTokens: 1 });
    const data = sseData(await (await post("/generate_stream", genBody())).text());
    expect(data).toHaveLength(4);
    expect(() => JSON.parse(data[1]!)).toThrow();
    expect(JSON.parse(data[3]!)).toMatchObject({ generated_text: "ab" });
  });

  it("endWithoutFinal ends cleanly without the final event (generate_stream) or finish/[DONE] (chat)", async () => {
    server.configure({ tokens: ["a", "b"], endWithoutFinal: true });
    const gen = await readAll(await post("/generate_stream", genBody()));
    expect(gen.error).toBeUndefined();
    expect(sseJson(gen.text).every((e) => e.details === null && e.generated_text === null)).toBe(true);
    const chat = await readAll(await post("/v1/chat/completions", chatBody({ stream: true })));
    const chunks = sseJson(chat.text);
    expect(chunks.map((c) => (c.choices as Json[])[0]!.finish_reason)).toEqual([null, null]);
    expect(server.requests.map((r) => [r.finished, r.tokensSent])).toEqual([
      [true, 2],
      [true, 2],
    ]);
  });

  it("streamError writes TGI's in-stream error event after N tokens and ends the stream", async () => {
    server.configure({ tokens: ["a", "b", "c"], streamError: { afterTokens: 2, type: "overloaded" } });
    const events = sseJson(await (await post("/generate_stream", genBody())).text());
    expect(tokenTexts(events.slice(0, 2))).toEqual(["a", "b"]);
    expect(events[2]).toEqual({ error: "Model is overloaded", error_type: "overloaded" });
    expect(events).toHaveLength(3);
    server.configure({ streamError: {}, errorMessage: "boom" });
    const chat = sseJson(await (await post("/v1/chat/completions", chatBody({ stream: true }))).text());
    expect(chat).toEqual([{ error: "boom", error_type: "generation" }]);
  });

  it("records a client abort mid-stream and stops writing", async () => {
    server.configure({ tokenDelayMs: 20 });
    const ac = new AbortController();
    const res = await post("/generate_stream", genBody(), { signal: ac.signal });
    await res.body!.getReader().read();
    ac.abort();
    await server.waitFor(() => server.requests[0]!.clientAborted);
    await server.waitFor(() => server.openStreams() === 0);
    const sent = server.requests[0]!.tokensSent;
    expect(sent).toBeLessThan(17);
    await sleep(60);
    expect(server.requests[0]!.tokensSent).toBe(sent);
  });

  it("honours backpressure: a paused reader stops the writer", async () => {
    const big = await startFakeTGI(
      { tokens: Array.from({ length: 20_000 }, () => "x".repeat(1024)) },
      { maxTotalTokens: 100_000 },
    );
    const res = await postTo(big, "/generate_stream", genBody({ max_new_tokens: 30_000 }));
    const reader = res.body!.getReader();
    await reader.read();
    await sleep(200);
    const rec = big.requests[0]!;
    expect(rec.tokensSent).toBeLessThan(10_000);
    expect(rec.backpressureWaits).toBeGreaterThan(0);
    await reader.cancel();
    await big.waitFor(() => rec.clientAborted);
    await big.close();
  });

  it("truncatedJson cuts a non-stream body in half", async () => {
    server.configure({ truncatedJson: true });
    const text = await (await post("/generate", genBody())).text();
    expect(text.startsWith('{"generated_text"')).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
  });
});

describe("server lifecycle", () => {
  it("waitFor rejects with a clear error on timeout", async () => {
    await expect(server.waitFor(() => false, 30)).rejects.toThrow(/condition still false after 30 ms/);
  });

  it("close() does not hang with open streams", async () => {
    const s = await startFakeTGI({ tokenDelayMs: 10_000 });
    const res = await postTo(s, "/generate_stream", genBody());
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
