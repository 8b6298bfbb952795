import { promisify } from "node:util";
import { brotliCompress, deflate, deflateRaw, gzip } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createHttpFetch } from "../../../src/providers/openai/http-transport.js";
import type { FetchFunction } from "../../../src/providers/openai/index.js";
import { type ScriptedServer, startScriptedServer } from "../../support/loopback-scripted-server.js";

let server: ScriptedServer;
let fetchHttp: FetchFunction;
beforeEach(async () => {
  server = await startScriptedServer();
  fetchHttp = createHttpFetch();
});
afterEach(() => server.close());

const echo = (): void =>
  server.respond((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  });

describe("http transport: requests as the server sees them", () => {
  it("sends method, path and query, the caller's headers and a string body", async () => {
    echo();
    const res = await fetchHttp(`${server.origin}/v1/embeddings?x=1&y=%20z#frag`, {
      method: "POST",
      headers: new Headers({
        authorization: "Bearer sk-abc",
        "content-type": "application/json",
        "x-a": "1",
      }),
      body: '{"input":"héllo"}',
    });
    expect(await res.text()).toBe("ok");
    const seen = server.requests[0]!;
    expect(seen.method).toBe("POST");
    expect(seen.url).toBe("/v1/embeddings?x=1&y=%20z");
    expect(seen.headers).toMatchObject({
      authorization: "Bearer sk-abc",
      "content-type": "application/json",
      "x-a": "1",
      "content-length": String(Buffer.byteLength('{"input":"héllo"}')),
      "accept-encoding": "gzip, deflate, br",
      accept: "*/*",
    });
    expect(seen.body.toString("utf8")).toBe('{"input":"héllo"}');
  });

  it("sends Uint8Array and ArrayBuffer bodies byte for byte, and keeps a caller's accept-encoding", async () => {
    echo();
    const bytes = new Uint8Array([0, 1, 2, 250, 255, 7]);
    await (await fetchHttp(server.origin, { method: "PUT", body: bytes.subarray(1, 5) })).text();
    await (await fetchHttp(server.origin, { method: "post", body: bytes.buffer })).text();
    await (await fetchHttp(server.origin, { headers: { "accept-encoding": "identity" } })).text();
    expect([...server.requests[0]!.body]).toEqual([1, 2, 250, 255]);
    expect(server.requests[0]!.headers["content-type"]).toBeUndefined();
    expect(server.requests[1]!.method).toBe("POST");
    expect([...server.requests[1]!.body]).toEqual([...bytes]);
    expect(server.requests[2]).toMatchObject({ method: "GET", headers: { "accept-encoding": "identity" } });
    // A string body without content-type is text, as in fetch.
    await (await fetchHttp(server.origin, { method: "POST", body: "plain" })).text();
    expect(server.requests[3]!.headers["content-type"]).toBe("text/plain;charset=UTF-8");
  });

  it("hands what it does not do itself to the fallback: FormData and stream bodies, https:, Request objects", async () => {
    echo();
    const fallback = vi.fn<FetchFunction>((input, init) => globalThis.fetch(input, init));
    const f = createHttpFetch({ fallback });
    const form = new FormData();
    form.set("file", new Blob(["abc"]), "a.txt");
    await (await f(`${server.origin}/upload`, { method: "POST", body: form })).text();
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode("streamed"));
        c.close();
      },
    });
    const init = { method: "POST", body: stream, duplex: "half" } as RequestInit;
    await (await f(`${server.origin}/stream`, init)).text();
    await (await f(new Request(`${server.origin}/request`))).text();
    expect(fallback).toHaveBeenCalledTimes(3);
    expect(server.requests[0]!.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(server.requests[0]!.body.toString()).toContain("abc");
    expect(server.requests[1]!.body.toString()).toBe("streamed");
    expect(server.requests[2]!.url).toBe("/request");
    const https = vi.fn<FetchFunction>(async () => new Response("remote"));
    expect(await (await createHttpFetch({ fallback: https })("https://example.invalid/v1")).text()).toBe(
      "remote",
    );
    expect(https).toHaveBeenCalledWith("https://example.invalid/v1", {});
  });
});

describe("http transport: responses", () => {
  it("gives status, statusText and repeated headers as sent", async () => {
    server.respond((_req, res) => {
      res.writeHead(201, "Made It", [
        ["x-multi", "a"],
        ["x-multi", "b"],
        ["set-cookie", "a=1"],
        ["set-cookie", "b=2"],
        ["content-type", "application/json"],
      ]);
      res.end("{}");
    });
    const res = await fetchHttp(`${server.origin}/x`);
    expect(res.status).toBe(201);
    expect(res.statusText).toBe("Made It");
    expect(res.ok).toBe(true);
    expect(res.url).toBe(`${server.origin}/x`);
    expect(res.headers.get("x-multi")).toBe("a, b");
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await res.json()).toEqual({});
  });

  it("204, 304 and HEAD answers have a null body, and the connection is reused after them", async () => {
    const statuses = [204, 304, 200];
    server.respond((_req, res) => {
      res.writeHead(statuses.shift()!, { "content-length": "5" }).end();
    });
    const a = await fetchHttp(server.origin);
    const b = await fetchHttp(server.origin);
    const c = await fetchHttp(server.origin, { method: "HEAD" });
    expect([a.status, b.status, c.status]).toEqual([204, 304, 200]);
    expect([a.body, b.body, c.body]).toEqual([null, null, null]);
    expect(server.connections).toBe(1);
  });

  it("decodes gzip, deflate (zlib-wrapped and raw) and br bodies; leaves unknown codings alone", async () => {
    const text = "streamdex ".repeat(5000);
    const encoded: Record<string, Buffer> = {
      gzip: await promisify(gzip)(text),
      deflate: await promisify(deflate)(text),
      "deflate-raw": await promisify(deflateRaw)(text),
      br: await promisify(brotliCompress)(text),
      zstd: Buffer.from("opaque"),
    };
    server.respond((req, res) => {
      const name = req.url!.slice(1);
      res.writeHead(200, { "content-encoding": name === "deflate-raw" ? "deflate" : name });
      res.end(encoded[name]);
    });
    for (const name of ["gzip", "deflate", "deflate-raw", "br"]) {
      expect(await (await fetchHttp(`${server.origin}/${name}`)).text(), name).toBe(text);
    }
    expect(await (await fetchHttp(`${server.origin}/zstd`)).text()).toBe("opaque");
  });

  it("a gzip event stream is decoded event by event, as it arrives", async () => {
    const { createGzip } = await import("node:zlib");
    let release!: () => void;
    const second = new Promise<void>((r) => {
      release = r;
    });
    server.respond(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream", "content-encoding": "gzip" });
      const z = createGzip();
      z.pipe(res);
      z.write("data: 1\n\n");
      z.flush();
      await second;
      z.end("data: 2\n\n");
    });
    const reader = (await fetchHttp(server.origin)).body!.getReader();
    const dec = new TextDecoder();
    expect(dec.decode((await reader.read()).value)).toBe("data: 1\n\n");
    release();
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += dec.decode(r.value);
    expect(rest).toBe("data: 2\n\n");
  });
});

describe("http transport: redirects, as fetch follows them", () => {
  it("307 repeats method and body; 303 and 302-after-POST become a GET without body", async () => {
    server.respond((req, res) => {
      const to = { "/a": [307, "/b"], "/c": [303, "/d?q=1"], "/e": [302, "/f"] }[req.url!];
      if (to) res.writeHead(to[0] as number, { location: to[1] as string }).end("moved");
      else res.writeHead(200).end(`at ${req.url}`);
    });
    const post = { method: "POST", headers: { "content-type": "application/json" }, body: "{}" };
    const a = await fetchHttp(`${server.origin}/a`, post);
    expect(await a.text()).toBe("at /b");
    expect(a.redirected).toBe(true);
    expect(a.url).toBe(`${server.origin}/b`);
    expect(await (await fetchHttp(`${server.origin}/c`, post)).text()).toBe("at /d?q=1");
    expect(await (await fetchHttp(`${server.origin}/e`, post)).text()).toBe("at /f");
    const seen = server.requests.map((r) => [r.method, r.url, r.body.toString()]);
    expect(seen).toEqual([
      ["POST", "/a", "{}"],
      ["POST", "/b", "{}"],
      ["POST", "/c", "{}"],
      ["GET", "/d?q=1", ""],
      ["POST", "/e", "{}"],
      ["GET", "/f", ""],
    ]);
    expect(server.requests[3]!.headers["content-type"]).toBeUndefined();
  });

  it("drops credentials on a redirect to another origin; manual returns the 3xx, error rejects", async () => {
    const other = await startScriptedServer();
    try {
      echo();
      other.respond((_req, res) => {
        res.writeHead(308, { location: `${server.origin}/landed` }).end();
      });
      const headers = { authorization: "Bearer sk-secret", "x-keep": "1" };
      const res = await fetchHttp(`${other.origin}/go`, { headers });
      expect(await res.text()).toBe("ok");
      expect(other.requests[0]!.headers.authorization).toBe("Bearer sk-secret");
      expect(server.requests[0]!.headers.authorization).toBeUndefined();
      expect(server.requests[0]!.headers["x-keep"]).toBe("1");

      const manual = await fetchHttp(`${other.origin}/go`, { redirect: "manual" });
      expect(manual.status).toBe(308);
      expect(manual.headers.get("location")).toBe(`${server.origin}/landed`);
      await manual.body?.cancel();
      const err = await fetchHttp(`${other.origin}/go`, { redirect: "error" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TypeError);
      expect(server.requests).toHaveLength(1);
    } finally {
      await other.close();
    }
  });
});
