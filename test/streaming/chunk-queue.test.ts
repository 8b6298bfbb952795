import { describe, expect, it } from "vitest";
import { AbortError } from "../../src/index.js";
import { ChunkQueue } from "../../src/streaming/chunk-queue.js";
import { settle } from "../support/fixtures.js";

describe("ChunkQueue (the producer/reader hand-off of in-process models)", () => {
  it("lets the producer run at most readAhead chunks ahead of the reader", async () => {
    const q = new ChunkQueue(2, undefined);
    let produced = 0;
    const producer = (async () => {
      for (let i = 0; i < 10; i++) {
        await q.waitForRoom();
        if (q.stopped) return;
        q.push({ type: "text-delta", text: String(i) });
        produced++;
      }
      q.end();
    })();
    await settle();
    expect(produced).toBe(2);
    expect((await q.next()).value).toEqual({ type: "text-delta", text: "0" });
    await settle();
    expect(produced).toBe(3);
    const rest: string[] = [];
    for (let r = await q.next(); !r.done; r = await q.next())
      rest.push(r.value.type === "text-delta" ? r.value.text : "");
    await producer;
    expect(rest).toEqual(["1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  });

  it("with readAhead 0, produces only while the reader waits", async () => {
    const q = new ChunkQueue(0, undefined);
    let produced = 0;
    void (async () => {
      for (;;) {
        await q.waitForRoom();
        if (q.stopped) return;
        q.push({ type: "text-delta", text: "x" });
        produced++;
      }
    })();
    await settle();
    expect(produced).toBe(0);
    await q.next();
    await settle();
    expect(produced).toBe(1);
    q.stop();
  });

  it("delivers queued chunks before a failure, ends waiting readers on stop, and throws on abort", async () => {
    const q = new ChunkQueue(4, undefined);
    q.push({ type: "text-delta", text: "a" });
    q.fail(new Error("boom"));
    expect((await q.next()).value).toEqual({ type: "text-delta", text: "a" });
    await expect(q.next()).rejects.toThrow("boom");

    const q2 = new ChunkQueue(4, undefined);
    const pending = q2.next();
    q2.stop();
    expect((await pending).done).toBe(true);

    const ac = new AbortController();
    const q3 = new ChunkQueue(4, ac.signal);
    ac.abort();
    await expect(q3.next()).rejects.toBeInstanceOf(AbortError);
  });
});
