// Resumable answers over streamdex's SSE format: ids on every event, GET /api/answers/:answerId with
// Last-Event-ID, the replay caps, the client-gone window, the stop routes and shutdown.
import { afterEach, describe, expect, it } from "vitest";
import { eventBytes } from "../../src/server/resume/replay-buffer.js";
import {
  expectConsecutive,
  parseEvents,
  readEvents,
  resume,
  type SeenEvent,
  sleep,
  textOf,
} from "./resume-support.js";
import { errorOf, mockServer, postJson, Servers, until } from "./support.js";

const servers = new Servers();
afterEach(() => servers.closeAll());

const WORDS = Array.from({ length: 40 }, (_, i) => `w${i}`);
const ANSWER = WORDS.join(" ");

/** Starts a query and reads it until `k` events arrived, then drops the connection. */
async function dropAfter(url: string, k: number, body: unknown = { query: "q" }) {
  const controller = new AbortController();
  const res = await postJson(`${url}/api/query`, body, { signal: controller.signal });
  expect(res.status).toBe(200);
  const answerId = res.headers.get("x-answer-id")!;
  const seen = await readEvents(res, (events) => events.length >= k, controller);
  return { answerId, seen: seen.slice(0, k) };
}

/** Bytes a whole answer's events take in the replay buffer. */
const bytesOf = (events: SeenEvent[]) => events.reduce((n, e) => n + eventBytes(e.raw), 0);

describe("event ids and the answer id", () => {
  it("every event of /api/query and /api/chat has an id, 1, 2, 3…; the answer id is in x-answer-id and the first event", async () => {
    const { url } = servers.track(await mockServer({ response: "one two three" }));
    for (const [path, body] of [
      ["/api/query", { query: "q" }],
      ["/api/chat", { message: "hi", conversationId: "ids-1" }],
    ] as const) {
      const res = await postJson(`${url}${path}`, body);
      const answerId = res.headers.get("x-answer-id");
      expect(answerId).toMatch(/^[A-Za-z0-9_-]{22}$/); // 128 random bits
      const text = await res.text();
      const events = parseEvents(text);
      expect(events.length * 1).toBe(text.split("\n\n").length - 1); // every block parsed: none without an id
      expectConsecutive(events, 1);
      expect(events[0]).toMatchObject({ event: "answer", data: { answerId } });
      expect(events.map((e) => e.event)).toEqual([
        "answer",
        "sources",
        "delta",
        "delta",
        "delta",
        "usage",
        "done",
      ]);
    }
    // Two answers never share an id; a JSON answer has none.
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await postJson(`${url}/api/query`, { query: "q" });
      ids.add(res.headers.get("x-answer-id")!);
      await res.text();
    }
    expect(ids.size).toBe(20);
    const json = await postJson(`${url}/api/query`, { query: "q", stream: false });
    expect(json.headers.get("x-answer-id")).toBeNull();
    expect(await json.json()).toMatchObject({ response: "one two three" });
  });
});

describe("GET /api/answers/:answerId", () => {
  it("resumed mid-answer from the last event id: exactly the rest, live, nothing repeated or lost", async () => {
    const { url, llm } = servers.track(await mockServer({ response: ANSWER, chunkDelayMs: 15 }));
    const { answerId, seen } = await dropAfter(url, 6);
    const last = seen.at(-1)!.id;
    const res = await resume(url, answerId, last);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("x-answer-id")).toBe(answerId);
    const rest = await readEvents(res);
    expectConsecutive(rest, last + 1);
    expect(rest.at(-1)!.event).toBe("done");
    expect(textOf([...seen, ...rest])).toBe(ANSWER);
    // The model ran once, to its end: the drop did not abort it.
    expect(llm.calls).toHaveLength(1);
    expect(llm.calls[0]).toMatchObject({ aborted: false, finished: true });
  });

  it("a finished answer, from any event id: the rest; without Last-Event-ID: all of it", async () => {
    const { url } = servers.track(await mockServer({ response: ANSWER }));
    const res = await postJson(`${url}/api/query`, { query: "q" });
    const answerId = res.headers.get("x-answer-id")!;
    const all = parseEvents(await res.text());
    expect(textOf(all)).toBe(ANSWER);
    const whole = parseEvents(await (await resume(url, answerId)).text());
    expect(whole.map((e) => e.raw)).toEqual(all.map((e) => e.raw));
    for (const k of [0, 1, 2, 7, all.length - 1, all.length]) {
      const rest = parseEvents(await (await resume(url, answerId, k)).text());
      expect(rest.map((e) => e.raw)).toEqual(all.slice(k).map((e) => e.raw));
      expect(textOf(all.slice(0, k)) + textOf(rest)).toBe(ANSWER);
    }
  });

  it("an answer that ends while its client is away is kept replayTtlMs, then 404", async () => {
    const { url, llm } = servers.track(
      await mockServer({ response: ANSWER, chunkDelayMs: 2 }, { replayTtlMs: 300 }),
    );
    const { answerId, seen } = await dropAfter(url, 4);
    await until(() => llm.calls[0]!.finished);
    const rest = parseEvents(await (await resume(url, answerId, seen.at(-1)!.id)).text());
    expect(textOf([...seen, ...rest])).toBe(ANSWER);
    expect(rest.at(-1)!.event).toBe("done");
    await sleep(400);
    const gone = await resume(url, answerId, 0);
    expect(gone.status).toBe(404);
    expect((await errorOf(gone)).code).toBe("answer_not_found");
  });

  it("a Last-Event-ID that is not a number, or ahead of the answer, is a 400; an unknown answer a 404", async () => {
    const { url } = servers.track(await mockServer({ response: "a b c" }));
    const res = await postJson(`${url}/api/query`, { query: "q" });
    const answerId = res.headers.get("x-answer-id")!;
    const last = parseEvents(await res.text()).at(-1)!.id;
    for (const bad of ["abc", "-1", "1.5", "1e3", "0x10", "", "9".repeat(30)]) {
      const r = await resume(url, answerId, bad);
      expect(r.status).toBe(400);
      const error = await errorOf(r);
      expect(error.code).toBe("invalid_last_event_id");
      expect(error.message).toMatch(/whole number/);
    }
    const ahead = await resume(url, answerId, last + 1);
    expect(ahead.status).toBe(400);
    expect(await errorOf(ahead)).toEqual({
      code: "last_event_id_ahead",
      message: `\`Last-Event-ID\` ${last + 1} is ahead of this answer: its last event so far is ${last}.`,
    });
    expect((await resume(url, answerId, ` ${last} `)).status).toBe(200); // the last id itself: nothing left
    for (const id of ["AAAAAAAAAAAAAAAAAAAAAA", "nope", answerId.slice(1), `${answerId}x`, "-"]) {
      const r = await resume(url, id, 0);
      expect(r.status).toBe(404);
      expect((await errorOf(r)).code).toBe("answer_not_found");
    }
    const post = await fetch(`${url}/api/answers/${answerId}`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET");
  });

  it("needs the bearer token, like the API", async () => {
    const token = "resume-token-1";
    const { url } = servers.track(await mockServer({ response: "a b" }, { token }));
    const auth = { authorization: `Bearer ${token}` };
    const res = await postJson(`${url}/api/query`, { query: "q" }, { headers: auth });
    const answerId = res.headers.get("x-answer-id")!;
    await res.text();
    expect((await resume(url, answerId, 0)).status).toBe(401);
    expect((await resume(url, answerId, 0, { authorization: "Bearer wrong" })).status).toBe(401);
    expect((await fetch(`${url}/api/chat/c/stream`)).status).toBe(401);
    expect((await fetch(`${url}/api/answers/${answerId}/stop`, { method: "POST" })).status).toBe(401);
    expect((await resume(url, answerId, 0, auth)).status).toBe(200);
  });
});

describe("replay caps", () => {
  it("an answer over maxReplayBytesPerAnswer still streams in full to its client, but a resume is 410, then 404", async () => {
    const { url } = servers.track(
      await mockServer({ response: ANSWER, chunkDelayMs: 5 }, { maxReplayBytesPerAnswer: 1500 }),
    );
    const res = await postJson(`${url}/api/query`, { query: "q" });
    const answerId = res.headers.get("x-answer-id")!;
    let gone: Response | undefined;
    const events = await readEvents(res, (seen) => {
      // Once well past the cap, while the answer runs: try a resume (not awaited here, to keep reading).
      if (!gone && bytesOf(seen) > 2000) void resume(url, answerId, 1).then((r) => (gone = r));
      return false;
    });
    expectConsecutive(events, 1);
    expect(textOf(events)).toBe(ANSWER); // the live client lost nothing
    await until(() => gone !== undefined);
    expect(gone!.status).toBe(410);
    expect(await errorOf(gone!)).toMatchObject({
      code: "answer_not_resumable",
      message: expect.stringMatching(/outgrew its replay buffer/),
    });
    expect((await resume(url, answerId, 1)).status).toBe(404); // ended: not kept at all
  });

  it("an answer that outgrows its buffer while nobody reads it is aborted at once", async () => {
    const { url, llm } = servers.track(
      await mockServer({ response: ANSWER, chunkDelayMs: 10 }, { maxReplayBytesPerAnswer: 1500 }),
    );
    const { answerId } = await dropAfter(url, 2);
    await until(() => llm.calls[0]!.aborted);
    expect(llm.calls[0]!.chunksProduced).toBeLessThan(WORDS.length);
    expect([404, 410]).toContain((await resume(url, answerId, 0)).status);
  });

  it("maxReplayBytes: the oldest ended answer is dropped first; of two running answers that do not both fit, one stops being resumable", async () => {
    // One whole answer's bytes, measured.
    const probe = servers.track(await mockServer({ response: ANSWER }));
    const size = bytesOf(
      parseEvents(await (await postJson(`${probe.url}/api/query`, { query: "q" })).text()),
    );
    const { url } = servers.track(
      await mockServer({ response: ANSWER, chunkDelayMs: 5 }, { maxReplayBytes: Math.floor(size * 1.5) }),
    );
    const first = await postJson(`${url}/api/query`, { query: "q" });
    const firstId = first.headers.get("x-answer-id")!;
    await first.text();
    expect((await resume(url, firstId, 0)).status).toBe(200);
    // Two answers at once need room: the first (ended, unread) goes first.
    const both = await Promise.all([0, 1].map(() => postJson(`${url}/api/query`, { query: "q" })));
    const ids = both.map((r) => r.headers.get("x-answer-id")!);
    const texts = await Promise.all(both.map(async (r) => textOf(await readEvents(r))));
    expect(texts).toEqual([ANSWER, ANSWER]); // each client got all of its answer
    expect((await resume(url, firstId, 0)).status).toBe(404);
    // 2 x size does not fit in 1.5 x size: one gave up its buffer (and, ended, is gone); the other is kept.
    const statuses = await Promise.all(ids.map(async (id) => (await resume(url, id, 0)).status));
    expect(statuses.sort()).toEqual([200, 404]);
  });
});
