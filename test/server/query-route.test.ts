import { afterEach, describe, expect, it } from "vitest";
import { AuthenticationError, ProviderTimeoutError, RateLimitError } from "../../src/index.js";
import { errorOf, mockServer, parseSSE, postJson, Servers, until } from "./support.js";

const servers = new Servers();
afterEach(() => servers.closeAll());

describe("POST /api/query (server-sent events)", () => {
  it("streams sources, then one delta per chunk, then usage and done", async () => {
    const { url, requests } = servers.track(await mockServer({ response: "alpha beta gamma" }));
    const res = await postJson(`${url}/api/query`, { query: "What?", topK: 3, mode: "compact" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const events = parseSSE(await res.text());
    expect(events.map(([e]) => e)).toEqual(["answer", "sources", "delta", "delta", "delta", "usage", "done"]);
    const sources = events[1]![1] as { sourceNodes: { id: string; score: number; text: string }[] };
    expect(sources.sourceNodes.map((s) => s.id)).toEqual(["n0", "n1", "n2"]);
    expect(sources.sourceNodes[0]).toMatchObject({ score: 1, text: expect.stringContaining("chunk0") });
    expect(
      events
        .slice(2, 5)
        .map(([, d]) => (d as { text: string }).text)
        .join(""),
    ).toBe("alpha beta gamma");
    expect(events[5]![1]).toMatchObject({ completionTokens: 3 });
    expect(events[6]![1]).toEqual({ finishReason: "stop", timings: expect.any(Object) });
    const { timings } = events[6]![1] as { timings: { totalMs: number; ttftMs: number } };
    expect(timings.ttftMs).toBeLessThanOrEqual(timings.totalMs);
    expect(requests).toEqual([{ topK: 3, mode: "compact", streaming: true, citations: false }]);
  });

  it("applies defaultTopK and defaultMode when the request gives none", async () => {
    const { url, requests } = servers.track(
      await mockServer({ response: "ok" }, { defaultTopK: 1, defaultMode: "refine" }),
    );
    const events = parseSSE(await (await postJson(`${url}/api/query`, { query: "q" })).text());
    expect((events[1]![1] as { sourceNodes: unknown[] }).sourceNodes).toHaveLength(1);
    expect(requests).toEqual([{ topK: 1, mode: "refine", streaming: true, citations: false }]);
  });

  it("stream: false answers JSON with the response, sources and usage", async () => {
    const { url, llm, requests } = servers.track(await mockServer({ response: "The answer." }));
    const res = await postJson(`${url}/api/query`, { query: "q", stream: false });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      response: "The answer.",
      reasoning: "",
      sourceNodes: [
        { id: "n0", score: 1, text: "chunk0 word word word word word", metadata: { i: 0 } },
        { id: "n1", score: 0.9, text: "chunk1 word word word word word", metadata: { i: 1 } },
      ],
      usage: { promptTokens: expect.any(Number), completionTokens: 2, totalTokens: expect.any(Number) },
    });
    expect(requests[0]!.streaming).toBe(false);
    expect(llm.calls[0]!.streamed).toBe(false);
  });

  it("a client that disconnects mid-stream aborts the LLM call", async () => {
    const words = Array.from({ length: 200 }, (_, i) => `w${i}`).join(" ");
    // The old behaviour, kept by `resumeWindowMs: 0`: a client that disconnects aborts its answer at once (the default
    // keeps it running for a resume: test/server/resume.test.ts).
    const { url, llm } = servers.track(
      await mockServer({ response: words, chunkDelayMs: 10 }, { resumeWindowMs: 0 }),
    );
    const controller = new AbortController();
    const res = await postJson(`${url}/api/query`, { query: "q" }, { signal: controller.signal });
    const reader = res.body!.getReader();
    let seen = "";
    while (!seen.includes("event: delta")) seen += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    await until(() => llm.calls[0]?.aborted === true);
    expect(llm.calls[0]!.chunksProduced).toBeLessThan(200);
  });

  it("a client that leaves before the answer starts aborts the LLM call and frees its slot", async () => {
    const lines: string[] = [];
    const { url, llm } = servers.track(
      await mockServer(
        { response: "late", acceptDelayMs: 10_000 },
        { maxConcurrentStreams: 1, logger: (l) => lines.push(l) },
      ),
    );
    const controller = new AbortController();
    const pending = postJson(`${url}/api/query`, { query: "q" }, { signal: controller.signal }).catch(
      () => "gone",
    );
    await until(() => llm.calls.length === 1);
    controller.abort();
    expect(await pending).toBe("gone");
    await until(() => llm.calls[0]!.aborted);
    await until(() => lines.length === 1);
    expect(lines[0]).toMatch(/^POST \/api\/query 499 \d+ms aborted$/);
    const next = await postJson(
      `${url}/api/query`,
      { query: "q", stream: false },
      { signal: AbortSignal.timeout(100) },
    ).catch((e: Error) => e.name);
    expect(next).toBe("TimeoutError"); // admitted (not a 503), and waiting on the slow LLM
  });

  it("an error mid-stream is an error event with the partial text", async () => {
    const { url } = servers.track(await mockServer({ response: "a b c", failAfterChunks: 2 }));
    const events = parseSSE(await (await postJson(`${url}/api/query`, { query: "q" })).text());
    expect(events.map(([e]) => e)).toEqual(["answer", "sources", "delta", "delta", "error"]);
    expect(events[4]![1]).toMatchObject({ code: "stream_interrupted", partialText: "a b" });
  });

  it.each([
    ["a rate limit", new RateLimitError("Rate limited by mock.", { provider: "mock", status: 429 }), 429],
    ["a provider timeout", new ProviderTimeoutError("mock timed out", { provider: "mock" }), 504],
    [
      "the provider refusing our key",
      new AuthenticationError("bad key", { provider: "mock", status: 401 }),
      502,
    ],
  ])("%s before the first token is an HTTP error with a JSON body", async (_, error, status) => {
    const { url } = servers.track(await mockServer({ failOnStart: () => error }));
    for (const stream of [true, false]) {
      const res = await postJson(`${url}/api/query`, { query: "q", stream });
      expect(res.status).toBe(status);
      expect(await errorOf(res)).toEqual({ code: error.code, message: error.message });
    }
  });

  it("an LLM that cannot stream gives 501 (NotImplementedError)", async () => {
    const { url } = servers.track(await mockServer({ streaming: false }));
    const res = await postJson(`${url}/api/query`, { query: "q" });
    expect(res.status).toBe(501);
    expect((await errorOf(res)).code).toBe("not_implemented");
    // The same model answers stream: false.
    expect((await postJson(`${url}/api/query`, { query: "q", stream: false })).status).toBe(200);
  });
});
