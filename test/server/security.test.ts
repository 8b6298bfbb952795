import { afterEach, describe, expect, it } from "vitest";
import { InvalidArgumentError, MockLLM } from "../../src/index.js";
import { startServer } from "../../src/server/index.js";
import { isLoopback } from "../../src/server/start-server.js";
import { engineFactory, errorOf, mockServer, postJson, Servers, until } from "./support.js";

const servers = new Servers();
afterEach(() => servers.closeAll());

const TOKEN = "tok-9f8e7d6c5b4a39281706";

describe("bearer token", () => {
  it("is required on the API when set, and checked", async () => {
    const lines: string[] = [];
    const { url, llm } = servers.track(
      await mockServer({ response: "ok" }, { token: TOKEN, logger: (l) => lines.push(l) }),
    );
    const none = await postJson(`${url}/api/query`, { query: "q" });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await errorOf(none)).code).toBe("unauthorized");
    for (const authorization of [
      `Bearer ${TOKEN}x`,
      `Basic ${TOKEN}`,
      `Bearer`,
      TOKEN,
      `Bearer ${TOKEN.slice(1)}`,
    ]) {
      const wrong = await postJson(`${url}/api/query`, { query: "q" }, { headers: { authorization } });
      expect(wrong.status, authorization).toBe(401);
    }
    const chat = await postJson(`${url}/api/chat`, { messages: [] });
    expect(chat.status).toBe(401);
    expect(llm.calls).toHaveLength(0);

    const ok = await postJson(
      `${url}/api/query`,
      { query: "q" },
      { headers: { authorization: `Bearer ${TOKEN}` } },
    );
    expect(ok.status).toBe(200);
    await ok.text();
    // The page and the health check stay public: they reveal nothing and spend nothing.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(url)).status).toBe(200);

    await until(() => lines.some((l) => l.includes("stream done")));
    expect(lines.join("\n")).not.toContain(TOKEN);
    expect(lines.join("\n")).not.toMatch(/authorization|bearer/i);
    expect(lines).toContainEqual(expect.stringMatching(/^POST \/api\/query 401 \d+ms unauthorized$/));
  });

  it("startServer refuses a non-loopback host without a token", async () => {
    const { createEngine } = engineFactory(new MockLLM());
    for (const host of ["0.0.0.0", "::", "192.168.1.10", "example.com"]) {
      const attempt = startServer({ createEngine, host });
      await expect(attempt).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(attempt).rejects.toThrow(/refusing to listen on .* without a token/);
    }
    expect(
      ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"].every(isLoopback),
    ).toBe(true);
    expect(["0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "localhost.example.com"].some(isLoopback)).toBe(false);
  });

  it("rejects bad options at construction", async () => {
    const { createEngine } = engineFactory(new MockLLM());
    await expect(startServer({ createEngine, token: "" })).rejects.toThrow(/Invalid token/);
    await expect(startServer({ createEngine, maxBodyBytes: -1 })).rejects.toThrow(/maxBodyBytes/);
    await expect(startServer({ createEngine, defaultMode: "x" as "refine" })).rejects.toThrow(/defaultMode/);
  });
});

describe("concurrent-stream cap", () => {
  it("answers 503 with Retry-After beyond maxConcurrentStreams, and frees slots when streams end", async () => {
    const { url, llm } = servers.track(
      // resumeWindowMs: 0: a client leaving frees its slot at once (a held answer keeps its slot for the window).
      await mockServer(
        { response: "a b c d e f g h", chunkDelayMs: 10_000 },
        { maxConcurrentStreams: 2, resumeWindowMs: 0 },
      ),
    );
    const controllers = [new AbortController(), new AbortController()];
    const open = await Promise.all(
      controllers.map((c) => postJson(`${url}/api/query`, { query: "q" }, { signal: c.signal })),
    );
    expect(open.map((r) => r.status)).toEqual([200, 200]);
    const refused = await postJson(`${url}/api/query`, { query: "q" });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect((await errorOf(refused)).code).toBe("too_many_streams");
    expect((await postJson(`${url}/api/chat`, { messages: [] })).status).toBe(400); // checked before the cap

    for (const c of controllers) c.abort();
    await until(() => llm.calls.length === 2 && llm.calls.every((c) => c.aborted));
    // The slots are freed as the clients leave.
    let status = 503;
    for (let i = 0; i < 100 && status === 503; i++) {
      const res = await postJson(`${url}/api/query`, { query: "q" });
      status = res.status;
      await res.body?.cancel();
    }
    expect(status).toBe(200);
  });
});

describe("CORS", () => {
  it("is off by default: no CORS headers, no preflight", async () => {
    const { url } = servers.track(await mockServer({ response: "ok" }));
    const res = await postJson(
      `${url}/api/query`,
      { query: "q" },
      { headers: { origin: "https://evil.example" } },
    );
    const names: string[] = [];
    res.headers.forEach((_, name) => {
      names.push(name);
    });
    expect(names.filter((k) => k.startsWith("access-control-"))).toEqual([]);
    await res.text();
    const preflight = await fetch(`${url}/api/query`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(405);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("when configured, answers preflights and marks responses for allowed origins only", async () => {
    const { url } = servers.track(
      await mockServer({ response: "ok" }, { cors: { origin: ["https://app.example"] }, token: TOKEN }),
    );
    const preflight = await fetch(`${url}/api/chat`, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(preflight.headers.get("vary")).toBe("origin");

    const denied = await fetch(`${url}/api/chat`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(denied.status).toBe(403);
    expect(denied.headers.get("access-control-allow-origin")).toBeNull();

    const headers = { origin: "https://app.example", authorization: `Bearer ${TOKEN}` };
    const res = await postJson(`${url}/api/query`, { query: "q" }, { headers });
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    await res.text();
    // Errors carry the header too, so a browser client can read them.
    const bad = await postJson(`${url}/api/query`, { query: "" }, { headers });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("access-control-allow-origin")).toBe("https://app.example");
  });

  it('origin "*" allows any origin', async () => {
    const { url } = servers.track(await mockServer({ response: "ok" }, { cors: { origin: "*" } }));
    const res = await fetch(`${url}/api/query`, {
      method: "OPTIONS",
      headers: { origin: "https://anywhere.example", "access-control-request-method": "POST" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });
});
