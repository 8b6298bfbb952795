import { describe, expect, it } from "vitest";
import { MockLLM, type MockLLMOptions } from "../../src/index.js";
import { createFetchHandler, type ServerOptions } from "../../src/server/index.js";
import { engineFactory, errorOf, parseSSE, until } from "./support.js";

function setup(llmOptions: MockLLMOptions = {}, options: Omit<ServerOptions, "createEngine"> = {}) {
  const llm = new MockLLM(llmOptions);
  const { createEngine, createChatEngine } = engineFactory(llm);
  const handler = createFetchHandler({ createEngine, createChatEngine, ...options });
  return { llm, handler };
}

const post = (path: string, body: unknown, init: RequestInit = {}) =>
  new Request(`http://app.local${path}`, {
    method: "POST",
    ...init,
    headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) },
    body: JSON.stringify(body),
  });

describe("createFetchHandler (Web Request → Response)", () => {
  it("streams the same server-sent events as the Node handler", async () => {
    const { handler } = setup({ response: "one two" });
    const res = await handler(post("/api/query", { query: "q" }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const events = parseSSE(await res.text());
    expect(events.map(([e]) => e)).toEqual(["answer", "sources", "delta", "delta", "usage", "done"]);
  });

  it("answers JSON for stream: false, and the UI message stream on /api/chat", async () => {
    const { handler } = setup({ response: "one two" });
    const json = await handler(post("/api/query", { query: "q", stream: false }));
    expect(await json.json()).toMatchObject({
      response: "one two",
      sourceNodes: [{ id: "n0" }, { id: "n1" }],
    });
    const chat = await handler(
      post("/api/chat", { messages: [{ id: "u", role: "user", parts: [{ type: "text", text: "q" }] }] }),
    );
    expect(chat.headers.get("x-vercel-ai-ui-message-stream")).toBe("v1");
    expect(await chat.text()).toContain('{"type":"text-delta"');
  });

  it("cancelling the response body aborts the LLM call", async () => {
    // The old behaviour, kept by `resumeWindowMs: 0`: a client that disconnects aborts its answer at once (the default
    // keeps it running for a resume: test/server/resume.test.ts).
    const { llm, handler } = setup({ response: "w ".repeat(100), chunkDelayMs: 20 }, { resumeWindowMs: 0 });
    const res = await handler(post("/api/query", { query: "q" }));
    const reader = res.body!.getReader();
    await reader.read(); // sources
    await reader.read(); // first delta
    await reader.cancel();
    await until(() => llm.calls[0]!.aborted);
    expect(llm.calls[0]!.chunksProduced).toBeLessThan(100);
  });

  it("aborting request.signal aborts the LLM call, before or during the stream", async () => {
    // The old behaviour, kept by `resumeWindowMs: 0`: a client that disconnects aborts its answer at once (the default
    // keeps it running for a resume: test/server/resume.test.ts).
    const { llm, handler } = setup(
      { response: "w ".repeat(100), chunkDelayMs: 20, acceptDelayMs: 30 },
      { resumeWindowMs: 0 },
    );
    const early = new AbortController();
    const pending = handler(post("/api/query", { query: "q" }, { signal: early.signal }));
    await until(() => llm.calls.length === 1);
    early.abort();
    expect((await pending).status).toBe(499);
    expect(llm.calls[0]!.aborted).toBe(true);

    const late = new AbortController();
    const res = await handler(post("/api/query", { query: "q" }, { signal: late.signal }));
    const reader = res.body!.getReader();
    await reader.read();
    late.abort();
    await until(() => llm.calls[1]?.aborted === true);
  });

  it("checks token, size, content type and routes like the Node handler", async () => {
    const { llm, handler } = setup({}, { token: "secret-token-1", maxBodyBytes: 100 });
    const auth = { authorization: "Bearer secret-token-1" };
    expect((await handler(post("/api/query", { query: "q" }))).status).toBe(401);
    const big = await handler(post("/api/query", { query: "x".repeat(200) }, { headers: auth }));
    expect(big.status).toBe(413);
    expect((await errorOf(big)).code).toBe("body_too_large");
    const text = new Request("http://app.local/api/query", { method: "POST", headers: auth, body: "q" });
    expect((await handler(text)).status).toBe(415);
    expect((await handler(new Request("http://app.local/../etc/passwd"))).status).toBe(404);
    expect(await (await handler(new Request("http://app.local/healthz"))).json()).toEqual({ ok: true });
    const head = await handler(new Request("http://app.local/", { method: "HEAD" }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect(llm.calls).toHaveLength(0);
  });
});
