import { readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { errorOf, mockServer, postJson, Servers } from "./support.js";

const servers = new Servers();
afterEach(() => servers.closeAll());

/** A raw request (the path is sent exactly as given, no client-side normalisation). */
function rawRequest(url: string, method: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    request({ host: hostname, port, method, path }, async (res) => {
      let body = "";
      for await (const chunk of res) body += chunk;
      resolve({ status: res.statusCode ?? 0, body });
    })
      .on("error", reject)
      .end();
  });
}

describe("request checks: clear 4xx JSON errors, no LLM call", () => {
  it.each([
    ["bad JSON", "{ nope", 400, "invalid_json"],
    ["a JSON array", "[1]", 400, "invalid_body"],
    ["no query", {}, 400, "invalid_query"],
    ["a non-string query", { query: 42 }, 400, "invalid_query"],
    ["an empty question", { query: "   " }, 400, "empty_query"],
    ["a too-long question", { query: "x".repeat(4001) }, 400, "query_too_long"],
    ["an unknown mode", { query: "q", mode: "telepathy" }, 400, "invalid_mode"],
    ["a fractional topK", { query: "q", topK: 1.5 }, 400, "invalid_top_k"],
    ["a zero topK", { query: "q", topK: 0 }, 400, "invalid_top_k"],
    ["a huge topK", { query: "q", topK: 1e6 }, 400, "invalid_top_k"],
    ["a string topK", { query: "q", topK: "3" }, 400, "invalid_top_k"],
    ["a non-boolean stream", { query: "q", stream: "no" }, 400, "invalid_stream"],
    ["an unknown field", { query: "q", top_k: 3 }, 400, "unknown_field"],
  ])("%s → %i %s", async (_, body, status, code) => {
    const { url, llm } = servers.track(await mockServer());
    const res = await postJson(`${url}/api/query`, body);
    expect(res.status).toBe(status);
    const error = await errorOf(res);
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(10);
    expect(llm.calls).toHaveLength(0);
  });

  it("names the valid modes and the question limit", async () => {
    const { url } = servers.track(await mockServer({}, { maxQuestionChars: 10 }));
    const mode = await errorOf(await postJson(`${url}/api/query`, { query: "q", mode: "x" }));
    expect(mode.message).toContain("tree_summarize");
    const long = await errorOf(await postJson(`${url}/api/query`, { query: "eleven char" }));
    expect(long.message).toBe("The question is 11 characters long; the limit is 10.");
  });

  it("a wrong or missing content type is 415", async () => {
    const { url } = servers.track(await mockServer());
    const body = JSON.stringify({ query: "q" });
    for (const type of ["text/plain", "application/x-www-form-urlencoded", undefined]) {
      const res = await fetch(`${url}/api/query`, {
        method: "POST",
        body: type ? new Blob([body], { type }) : new Blob([body]),
      });
      expect(res.status).toBe(415);
      expect((await errorOf(res)).code).toBe("unsupported_media_type");
    }
    const withCharset = await postJson(`${url}/api/query`, body, {
      headers: { "content-type": "Application/JSON; charset=utf-8" },
    });
    expect(withCharset.status).toBe(200);
    await withCharset.body?.cancel();
  });

  it("an oversized body is 413, declared or streamed, and the LLM is never called", async () => {
    const { url, llm } = servers.track(await mockServer({}, { maxBodyBytes: 1024 }));
    const big = JSON.stringify({ query: "x".repeat(200_000) });
    const declared = await postJson(`${url}/api/query`, big);
    expect(declared.status).toBe(413);
    expect((await errorOf(declared)).code).toBe("body_too_large");
    // No content-length: a chunked body that grows past the limit.
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 20; i++)
          c.enqueue(new TextEncoder().encode(i === 0 ? '{"query":"' : "y".repeat(500)));
        c.close();
      },
    });
    const streamed = await fetch(`${url}/api/query`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chunks,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(llm.calls).toHaveLength(0);
    // The server still answers afterwards.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("invalid UTF-8 is 400", async () => {
    const { url } = servers.track(await mockServer());
    const res = await fetch(`${url}/api/query`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("invalid_encoding");
  });
});

describe("routes", () => {
  it("GET /healthz is { ok: true }", async () => {
    const { url } = servers.track(await mockServer());
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it("GET / is the web page, with a strict CSP", async () => {
    const { url } = servers.track(await mockServer());
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toMatch(/default-src 'none'.*script-src 'sha256-/);
    expect(await res.text()).toContain('<label for="question">Question</label>');
  });

  it("a wrong method is 405 with Allow; an unknown path is 404", async () => {
    const { url } = servers.track(await mockServer());
    const get = await fetch(`${url}/api/query`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect((await errorOf(get)).code).toBe("method_not_allowed");
    const post = await fetch(`${url}/healthz`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    const missing = await fetch(`${url}/api/nope`);
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).code).toBe("not_found");
  });

  it.each([
    "/../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/..%2f..%2f..%2fetc%2fpasswd",
    "/%252e%252e/etc/passwd",
    "//etc/passwd",
    "/api/../../../etc/passwd",
    "/page/..%5c..%5cetc%5cpasswd",
    "/etc/passwd",
  ])("GET %s is 404 and reads no file", async (path) => {
    const { url } = servers.track(await mockServer());
    const { status, body } = await rawRequest(url, "GET", path);
    expect(status).toBe(404);
    expect(JSON.parse(body)).toMatchObject({ error: { code: "not_found" } });
    expect(body).not.toContain("root:");
  });

  it("no server module touches the file system", () => {
    const dir = join(import.meta.dirname, "../../src/server");
    const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      expect(readFileSync(join(dir, file), "utf8"), file).not.toMatch(/from "(node:)?fs(\/promises)?"/);
    }
  });
});
