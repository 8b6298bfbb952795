// What happens to an answer whose client left: the resume window, POST …/stop, shutdown; and the chat resume
// route's answers without a stream (204, 404) over raw HTTP.
import { afterEach, describe, expect, it } from "vitest";
import { ChatMemoryBuffer } from "../../src/index.js";
import { expectConsecutive, parseEvents, readEvents, resume, sleep, textOf } from "./resume-support.js";
import { errorOf, mockServer, postJson, Servers, until } from "./support.js";

const servers = new Servers();
afterEach(() => servers.closeAll());

const WORDS = Array.from({ length: 100 }, (_, i) => `w${i}`);
const ANSWER = WORDS.join(" ");

/** Starts an answer at `path` and reads it until `k` events arrived, then drops the connection. */
async function dropAfter(url: string, k: number, body: unknown = { query: "q" }, path = "/api/query") {
  const controller = new AbortController();
  const res = await postJson(`${url}${path}`, body, { signal: controller.signal });
  expect(res.status).toBe(200);
  const seen = await readEvents(res, (events) => events.length >= k, controller);
  return { answerId: res.headers.get("x-answer-id")!, seen: seen.slice(0, k) };
}

describe("a client that goes away", () => {
  it("leaves its answer running for resumeWindowMs; nobody resuming, it is aborted", async () => {
    const { url, llm } = servers.track(
      await mockServer({ response: ANSWER, chunkDelayMs: 10 }, { resumeWindowMs: 300 }),
    );
    const { answerId, seen } = await dropAfter(url, 4);
    const left = Date.now();
    const produced = llm.calls[0]!.chunksProduced;
    await sleep(150);
    expect(llm.calls[0]!.aborted).toBe(false);
    expect(llm.calls[0]!.chunksProduced).toBeGreaterThan(produced + 3); // still answering, into the buffer
    await until(() => llm.calls[0]!.aborted, 2000);
    expect(Date.now() - left).toBeGreaterThanOrEqual(290);
    expect(llm.calls[0]!.chunksProduced).toBeLessThan(WORDS.length);
    // What it said before the abort is still there to fetch, ending with `cancelled`.
    const rest = parseEvents(await (await resume(url, answerId, seen.at(-1)!.id)).text());
    expectConsecutive(rest, seen.at(-1)!.id + 1);
    expect(rest.at(-1)).toMatchObject({
      event: "cancelled",
      data: { partialText: textOf([...seen, ...rest]) },
    });
  });

  it("a resume within the window keeps it going to its end, even after a second drop", async () => {
    const { url, llm } = servers.track(
      await mockServer({ response: ANSWER, chunkDelayMs: 5 }, { resumeWindowMs: 400 }),
    );
    const { answerId, seen } = await dropAfter(url, 3);
    await sleep(200);
    const again = new AbortController();
    const second = await fetch(`${url}/api/answers/${answerId}`, {
      headers: { "last-event-id": String(seen.at(-1)!.id) },
      signal: again.signal,
    });
    const middle = await readEvents(second, (events) => events.length >= 10, again);
    await sleep(250); // more than half the window twice: each drop starts a new window
    const last = middle.at(-1)!.id;
    const rest = await readEvents(await resume(url, answerId, last));
    const all = [...seen, ...middle.slice(0, last - seen.at(-1)!.id), ...rest];
    expectConsecutive(all, 1);
    expect(textOf(all)).toBe(ANSWER);
    expect(llm.calls[0]).toMatchObject({ aborted: false, finished: true });
  });

  it("a chat answer that completes while its client is away is kept whole in the conversation", async () => {
    const memories = new Map<string, ChatMemoryBuffer>();
    const { url, llm } = servers.track(
      await mockServer(
        { response: ANSWER, chunkDelayMs: 2 },
        {
          createMemory: (id) => {
            const memory = new ChatMemoryBuffer();
            memories.set(id, memory);
            return memory;
          },
        },
      ),
    );
    await dropAfter(url, 4, { message: "hi", conversationId: "away-1", chatMode: "simple" }, "/api/chat");
    await until(() => llm.calls[0]!.finished);
    await until(() => memories.get("away-1")!.size === 2);
    expect(memories.get("away-1")!.getAll()).toEqual([
      { role: "user", content: "hi" },
      { role: "assistant", content: ANSWER },
    ]);
  });

  it("resumeWindowMs: 0 keeps the old behaviour: the disconnect aborts the model request at once", async () => {
    const { url, llm } = servers.track(
      await mockServer({ response: ANSWER, chunkDelayMs: 10 }, { resumeWindowMs: 0 }),
    );
    const { answerId, seen } = await dropAfter(url, 4);
    await until(() => llm.calls[0]!.aborted, 500);
    // The answer up to the abort can still be read (for replayTtlMs).
    const rest = parseEvents(await (await resume(url, answerId, seen.at(-1)!.id)).text());
    expect(rest.at(-1)!.event).toBe("cancelled");
  });

  it("holds its stream slot while held: a client that left before the headers aborts at once", async () => {
    const { url, llm } = servers.track(
      await mockServer({ response: "late", acceptDelayMs: 10_000 }, { maxConcurrentStreams: 1 }),
    );
    const controller = new AbortController();
    const pending = postJson(`${url}/api/query`, { query: "q" }, { signal: controller.signal }).catch(
      () => "gone",
    );
    await until(() => llm.calls.length === 1);
    controller.abort(); // it never learnt the answer's id: nothing to wait for
    expect(await pending).toBe("gone");
    await until(() => llm.calls[0]!.aborted);
  });
});

describe("POST …/stop", () => {
  it("POST /api/chat/:chatId/stop aborts the chat's answer at once; its readers get `cancelled`", async () => {
    const { url, llm } = servers.track(await mockServer({ response: ANSWER, chunkDelayMs: 10 }));
    const res = await postJson(`${url}/api/chat`, { message: "hi", conversationId: "chat-stop-1" });
    const reading = readEvents(res);
    await until(() => llm.calls[0]!.chunksProduced >= 3);
    const stop = await fetch(`${url}/api/chat/chat-stop-1/stop`, { method: "POST" });
    expect(stop.status).toBe(200);
    expect(await stop.json()).toEqual({ stopped: true });
    await until(() => llm.calls[0]!.aborted, 300);
    const events = await reading;
    expect(events.at(-1)!.event).toBe("cancelled");
    expect(llm.calls[0]!.chunksProduced).toBeLessThan(WORDS.length);
    // Nothing runs any more; an unknown chat is a 404.
    const again = await fetch(`${url}/api/chat/chat-stop-1/stop`, { method: "POST" });
    expect(await again.json()).toEqual({ stopped: false });
    const unknown = await fetch(`${url}/api/chat/never-seen/stop`, { method: "POST" });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe("chat_not_found");
    expect((await fetch(`${url}/api/chat/chat-stop-1/stop`)).status).toBe(405);
  });

  it("POST /api/answers/:answerId/stop aborts a held answer nobody reads", async () => {
    const { url, llm } = servers.track(await mockServer({ response: ANSWER, chunkDelayMs: 10 }));
    const { answerId } = await dropAfter(url, 3);
    await sleep(50);
    expect(llm.calls[0]!.aborted).toBe(false); // held for the (default, 30 s) window
    const stop = await fetch(`${url}/api/answers/${answerId}/stop`, { method: "POST" });
    expect(await stop.json()).toEqual({ stopped: true });
    await until(() => llm.calls[0]!.aborted, 300);
    const missing = await fetch(`${url}/api/answers/AAAAAAAAAAAAAAAAAAAAAA/stop`, { method: "POST" });
    expect(missing.status).toBe(404);
  });
});

describe("shutdown", () => {
  it("server.close() aborts the answers held for resuming (and those still read)", async () => {
    const { server, url, llm } = await mockServer({ response: ANSWER, chunkDelayMs: 10 });
    await dropAfter(url, 3); // held, for the default 30 s window
    const res = await postJson(`${url}/api/query`, { query: "q" }); // read by its client
    const reading = readEvents(res).catch(() => []);
    await until(() => llm.calls.length === 2 && llm.calls[1]!.chunksProduced >= 2);
    expect(llm.calls.map((c) => c.aborted)).toEqual([false, false]);
    const t0 = Date.now();
    await server.close();
    await until(() => llm.calls.every((c) => c.aborted), 500);
    expect(Date.now() - t0).toBeLessThan(500);
    await reading;
  });
});

describe("GET /api/chat/:chatId/stream without a stream", () => {
  it("204 when the chat's answer was read to its end; 404 for a chat this process does not know", async () => {
    const { url } = servers.track(await mockServer({ response: "a b" }));
    const res = await postJson(`${url}/api/chat`, {
      id: "known-chat",
      messages: [{ id: "u", role: "user", parts: [{ type: "text", text: "q" }] }],
    });
    await res.text();
    const idle = await fetch(`${url}/api/chat/known-chat/stream`);
    expect(idle.status).toBe(204);
    expect(await idle.text()).toBe("");
    // A chat id is a bearer secret: one this process never answered (made up, another client's that is unknown
    // here, or another process's) is a 404, whatever runs under other chat ids.
    for (const id of ["other-chat", "known-chat2", "known", "%E0%A4%A", "a%2Fb"]) {
      const r = await fetch(`${url}/api/chat/${id}/stream`);
      expect(r.status).toBe(404);
      expect((await errorOf(r)).code).toBe("chat_not_found");
    }
    // A chat answered as JSON is known too (nothing to resume).
    await (
      await postJson(`${url}/api/chat`, { message: "q", conversationId: "json-chat", stream: false })
    ).text();
    expect((await fetch(`${url}/api/chat/json-chat/stream`)).status).toBe(204);
  });

  it("204 while a streamdex-format (SSE) answer runs: nothing the AI SDK can resume; /api/answers can", async () => {
    const { url } = servers.track(await mockServer({ response: ANSWER, chunkDelayMs: 5 }));
    const { answerId } = await dropAfter(url, 3, { message: "q", conversationId: "sse-chat" }, "/api/chat");
    expect((await fetch(`${url}/api/chat/sse-chat/stream`)).status).toBe(204);
    expect(textOf(parseEvents(await (await resume(url, answerId)).text()))).toBe(ANSWER);
  });
});

describe("CORS", () => {
  it("exposes x-answer-id; the preflight allows GET and Last-Event-ID", async () => {
    const origin = "https://app.example";
    const { url } = servers.track(await mockServer({ response: "a" }, { cors: { origin } }));
    const res = await postJson(`${url}/api/query`, { query: "q" }, { headers: { origin } });
    expect(res.headers.get("access-control-expose-headers")).toContain("x-answer-id");
    const answerId = res.headers.get("x-answer-id")!;
    await res.text();
    const preflight = await fetch(`${url}/api/answers/${answerId}`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "GET",
        "access-control-request-headers": "last-event-id",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toContain("GET");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("last-event-id");
    const replay = await resume(url, answerId, 0, { origin });
    expect(replay.headers.get("access-control-allow-origin")).toBe(origin);
  });
});
