import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type LLMCallOptions, type LLMStream, MockLLM } from "../../src/index.js";
import { createFetchHandler, createRequestHandler } from "../../src/server/index.js";
import { engineFactory, errorOf, parseSSE } from "./support.js";

/**
 * The limits a server has when its options leave them out (other tests override them): a 64 KiB body,
 * 32 answers at once, 1000 conversations remembered.
 */

/** A MockLLM whose streaming calls wait at a gate (counted) until `open()`. */
class GatedLLM extends MockLLM {
  /** Streaming calls that reached the gate. */
  waiting = 0;
  private opened!: () => void;
  private readonly gate = new Promise<void>((resolve) => {
    this.opened = resolve;
  });
  open(): void {
    this.opened();
  }
  protected override async doStreamComplete(prompt: string, options: LLMCallOptions): Promise<LLMStream> {
    this.waiting++;
    await this.gate;
    return super.doStreamComplete(prompt, options);
  }
}

const API = "http://streamdex.test/api";

function post(path: string, body: unknown): Request {
  return new Request(`${API}/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** A valid query body of exactly `bytes` bytes: JSON allows the padding of trailing whitespace. */
function bodyOf(bytes: number): string {
  const json = JSON.stringify({ query: "q", stream: false });
  return json + " ".repeat(bytes - json.length);
}

/** `text` as a chunked body with no content-length: the server only learns its size by reading it. */
function streamed(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 4096) controller.enqueue(bytes.slice(i, i + 4096));
      controller.close();
    },
  });
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

describe("default body limit: 64 KiB", () => {
  it("createRequestHandler: a 64 KiB body is answered, 64 KiB + 1 is 413, declared or streamed", async () => {
    const llm = new MockLLM({ response: "ok" });
    const { createEngine } = engineFactory(llm);
    server = createServer(createRequestHandler({ createEngine }));
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/query`;
    const send = (body: string | ReadableStream<Uint8Array>) =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        duplex: "half",
      } as RequestInit);

    const fits = await send(bodyOf(64 * 1024));
    expect(fits.status).toBe(200);
    expect(((await fits.json()) as { response: string }).response).toBe("ok");
    const fitsStreamed = await send(streamed(bodyOf(64 * 1024)));
    expect(fitsStreamed.status).toBe(200);
    await fitsStreamed.text();
    expect(llm.calls).toHaveLength(2);

    for (const body of [bodyOf(64 * 1024 + 1), streamed(bodyOf(64 * 1024 + 1))]) {
      const res = await send(body);
      expect(res.status).toBe(413);
      const error = await errorOf(res);
      expect(error.code).toBe("body_too_large");
      expect(error.message).toContain(String(64 * 1024));
    }
    expect(llm.calls).toHaveLength(2);
  });

  it("createFetchHandler: the same limit", async () => {
    const llm = new MockLLM({ response: "ok" });
    const handler = createFetchHandler({ createEngine: engineFactory(llm).createEngine });
    expect((await handler(post("query", bodyOf(64 * 1024)))).status).toBe(200);
    const over = await handler(post("query", bodyOf(64 * 1024 + 1)));
    expect(over.status).toBe(413);
    expect((await errorOf(over)).code).toBe("body_too_large");
    expect(llm.calls).toHaveLength(1);
  });
});

describe("default concurrency limit: 32 answers at once", () => {
  it("the 33rd is 503 with Retry-After while 32 are held; a slot frees as an answer ends", async () => {
    const llm = new GatedLLM({ response: "held answer" });
    const { createEngine, createChatEngine } = engineFactory(llm);
    const handler = createFetchHandler({ createEngine, createChatEngine });
    const held = Array.from({ length: 32 }, () => handler(post("query", { query: "q" })));
    for (let i = 0; i < 1000 && llm.waiting < 32; i++) await new Promise((r) => setTimeout(r, 1));
    expect(llm.waiting).toBe(32);

    const refused = await handler(post("query", { query: "q" }));
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect((await errorOf(refused)).code).toBe("too_many_streams");
    // A chat message counts against the same limit.
    const chat = await handler(post("chat", { message: "m", conversationId: "c" }));
    expect(chat.status).toBe(503);
    await chat.text();
    expect(llm.waiting).toBe(32);

    llm.open();
    const responses = await Promise.all(held);
    expect(responses.map((r) => r.status)).toEqual(Array(32).fill(200));
    // Finishing one answer frees its slot: the next request is taken, the one after is refused again.
    const events = parseSSE(await responses[0]!.text());
    expect(events.map(([e]) => e).at(-1)).toBe("done");
    const next = await handler(post("query", { query: "q" }));
    expect(next.status).toBe(200);
    const again = await handler(post("query", { query: "q" }));
    expect(again.status).toBe(503);
    await again.text();
    for (const r of [next, ...responses.slice(1)]) await r.text();
    // All answers read to the end: every slot is free.
    const all = await Promise.all(Array.from({ length: 32 }, () => handler(post("query", { query: "q" }))));
    expect(all.map((r) => r.status)).toEqual(Array(32).fill(200));
    await Promise.all(all.map((r) => r.text()));
    expect(llm.waiting).toBe(32 + 1 + 32);
  });
});

describe("default conversation limit: 1000", () => {
  it("1000 conversations are all remembered; the 1001st forgets the least recently used one", async () => {
    const llm = new MockLLM({ response: "noted" });
    const { createEngine, createChatEngine } = engineFactory(llm);
    const handler = createFetchHandler({ createEngine, createChatEngine });
    const say = async (conversationId: string, message: string) => {
      const res = await handler(post("chat", { message, conversationId, stream: false }));
      expect(res.status).toBe(200);
      await res.json();
      return llm.calls.at(-1)!.prompt;
    };
    const remembers = (prompt: string, id: string) => prompt.includes(`user: hello from ${id}\n`);

    for (let i = 0; i < 1000; i++) await say(`c${i}`, `hello from c${i}`);
    // At the limit nothing is forgotten: the oldest conversation still has its history (and is now the newest).
    expect(remembers(await say("c0", "again"), "c0")).toBe(true);

    await say("c1000", "hello from c1000"); // the 1001st: c1 is now the least recently used
    expect(remembers(await say("c1", "again"), "c1")).toBe(false);
    expect(remembers(await say("c0", "again"), "c0")).toBe(true);
    expect(remembers(await say("c999", "again"), "c999")).toBe(true);
  }, 60_000);
});
