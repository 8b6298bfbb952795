// The replay buffer's own rules: numbering, the per-answer and total caps, trimming once not resumable.
import { describe, expect, it } from "vitest";
import {
  eventBytes,
  ReplayBudget,
  ReplayBuffer,
  splitEvents,
} from "../../src/server/resume/replay-buffer.js";

const event = (n: number) => `event: delta\ndata: {"text":"${"x".repeat(n)}"}\n\n`;

describe("ReplayBuffer", () => {
  it("numbers events from 1 and holds them all while they fit, counting their bytes in the budget", () => {
    const budget = new ReplayBudget(10_000, () => {});
    const buffer = new ReplayBuffer(5_000, budget);
    expect(buffer.lastId).toBe(0);
    buffer.append(event(3));
    buffer.append(event(4));
    expect(buffer.lastId).toBe(2);
    expect(buffer.get(1)).toBe(`id: 1\n${event(3)}`);
    expect(buffer.get(2)).toBe(`id: 2\n${event(4)}`);
    expect(buffer.get(3)).toBeUndefined();
    expect(buffer.get(0)).toBeUndefined();
    expect(buffer.bytes).toBe(eventBytes(buffer.get(1)!) + eventBytes(buffer.get(2)!));
    expect(budget.bytes).toBe(buffer.bytes);
    buffer.trimThrough(2); // resumable: nothing is dropped
    expect(buffer.get(1)).toBeDefined();
    buffer.release();
    expect(budget.bytes).toBe(0);
    expect(buffer.get(1)).toBeUndefined();
  });

  it("over maxBytes it gives up for good: the budget gets its bytes back, events go once read", () => {
    const budget = new ReplayBudget(100_000, () => {});
    const buffer = new ReplayBuffer(300, budget);
    for (let i = 0; i < 4; i++) buffer.append(event(10)); // ~86 bytes each
    expect(buffer.resumable).toBe(false);
    expect(budget.bytes).toBe(0);
    expect(buffer.bytes).toBe(0);
    expect(buffer.get(1)).toBeDefined(); // still there for a reader that has not read it
    buffer.trimThrough(2);
    expect(buffer.get(2)).toBeUndefined();
    expect(buffer.get(3)).toBeDefined();
    buffer.append(event(10));
    expect(buffer.lastId).toBe(5);
    expect(buffer.resumable).toBe(false); // never resumable again, even when small
  });

  it("a reader more than maxBytes behind a non-resumable buffer loses the oldest events", () => {
    const buffer = new ReplayBuffer(300, new ReplayBudget(100_000, () => {}));
    for (let i = 0; i < 10; i++) buffer.append(event(10));
    buffer.trimThrough(0); // a reader still at 0
    expect(buffer.get(1)).toBeUndefined();
    expect(buffer.get(10)).toBeDefined();
  });

  it("the total budget asks to reclaim first, and refuses what still does not fit", () => {
    const asked: number[] = [];
    let victim: ReplayBuffer | undefined;
    const budget = new ReplayBudget(350, (bytes) => {
      asked.push(bytes);
      victim?.release();
      victim = undefined;
    });
    victim = new ReplayBuffer(10_000, budget);
    for (let i = 0; i < 4; i++) victim.append(event(10));
    expect(budget.bytes).toBeGreaterThan(350 - eventBytes(victim.get(1)!));
    const next = new ReplayBuffer(10_000, budget);
    next.append(event(10));
    expect(asked).toHaveLength(1); // the victim was released to make room
    expect(next.resumable).toBe(true);
    for (let i = 0; i < 5; i++) next.append(event(10));
    expect(next.resumable).toBe(false); // nothing left to reclaim
    expect(budget.bytes).toBe(0);
  });
});

describe("splitEvents", () => {
  it("splits a chunk into its events, each with its blank line", () => {
    expect(splitEvents("event: usage\ndata: {}\n\nevent: done\ndata: {}\n\n")).toEqual([
      "event: usage\ndata: {}\n\n",
      "event: done\ndata: {}\n\n",
    ]);
    expect(splitEvents('data: {"type":"start"}\n\n')).toEqual(['data: {"type":"start"}\n\n']);
    expect(splitEvents("data: x")).toEqual(["data: x\n\n"]);
  });
});
