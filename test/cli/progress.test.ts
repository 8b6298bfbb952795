import { describe, expect, it } from "vitest";
import { ProgressBar } from "../../src/cli/progress.js";

describe("ProgressBar", () => {
  it("redraws one line on a terminal: files, chunks, embeddings", () => {
    const writes: string[] = [];
    const bar = new ProgressBar({ isTTY: true, write: (t: string) => writes.push(t) });
    bar.setFiles(3, 5);
    bar.setChunks(12);
    bar.setEmbeddings(12, 12);
    bar.done();
    const last = writes.filter((w) => w.includes("embeddings")).at(-1)!;
    expect(last).toBe("\r\x1b[2Kfiles 3/5  chunks 12  embeddings [####################] 12/12");
    expect(writes.at(-1)).toBe("\r\x1b[2K");
  });

  it("shows a Postgres store's rows written, then its index build and ANALYZE", () => {
    const writes: string[] = [];
    const bar = new ProgressBar({ isTTY: true, write: (t: string) => writes.push(t) });
    bar.setChunks(40);
    bar.setStore({ phase: "load", done: 40, total: 40 });
    bar.setStore({ phase: "index", done: 0, total: 40 });
    bar.setStore({ phase: "index", done: 40, total: 40 });
    bar.setStore({ phase: "analyze", done: 0, total: 40 });
    expect(writes).toEqual([
      "\r\x1b[2Kchunks 40",
      "\r\x1b[2Kchunks 40  stored [####################] 40/40",
      "\r\x1b[2Kchunks 40  building the vector index",
      "\r\x1b[2Kchunks 40  stored 40",
      "\r\x1b[2Kchunks 40  analyzing",
    ]);
  });

  it("writes nothing when the output is not a terminal (logs stay clean)", () => {
    const writes: string[] = [];
    const bar = new ProgressBar({ isTTY: false, write: (t: string) => writes.push(t) });
    bar.setFiles(1, 1);
    bar.setEmbeddings(1, 1);
    bar.done();
    expect(writes).toEqual([]);
  });
});
