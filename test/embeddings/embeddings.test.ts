import { describe, expect, it } from "vitest";
import {
  AbortError,
  BaseEmbedding,
  type EmbedCallOptions,
  InvalidArgumentError,
  MockEmbedding,
} from "../../src/index.js";

class Recording extends BaseEmbedding {
  batches: string[][] = [];
  inFlight = 0;
  maxInFlight = 0;
  protected async embedBatch(texts: string[], _o: EmbedCallOptions): Promise<Float32Array[]> {
    this.batches.push(texts);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setTimeout(r, 2));
    this.inFlight--;
    return texts.map((t) => Float32Array.of(Number(t)));
  }
}

describe("BaseEmbedding", () => {
  it("batches by embedBatchSize, bounds concurrency and keeps input order", async () => {
    const model = new Recording({ embedBatchSize: 3, maxConcurrency: 2 });
    const texts = Array.from({ length: 10 }, (_, i) => String(i));
    const progress: number[] = [];
    const out = await model.getTextEmbeddings(texts, { onProgress: (d) => progress.push(d) });
    expect(out.map((v) => v[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(model.batches.map((b) => b.length)).toEqual([3, 3, 3, 1]);
    expect(model.maxInFlight).toBe(2);
    expect(progress.at(-1)).toBe(10);
  });

  it("stops between batches when aborted", async () => {
    const model = new Recording({ embedBatchSize: 1, maxConcurrency: 1 });
    const ac = new AbortController();
    const p = model.getTextEmbeddings(["1", "2", "3", "4"], {
      signal: ac.signal,
      onProgress: () => ac.abort(),
    });
    await expect(p).rejects.toBeInstanceOf(AbortError);
    expect(model.batches).toHaveLength(1);
  });

  it("validates its options", () => {
    expect(() => new Recording({ embedBatchSize: 0 })).toThrow(InvalidArgumentError);
    expect(() => new Recording({ maxConcurrency: 1.5 })).toThrow(/integer/);
  });
});

describe("MockEmbedding", () => {
  it("is deterministic, normalised, and similar for texts that share words", async () => {
    const m = new MockEmbedding({ dimensions: 128 });
    const [a, b, c] = await m.getTextEmbeddings([
      "the author wrote stories",
      "stories the author wrote",
      "tide tables",
    ]);
    expect(a).toEqual(b);
    const dot = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i]!, 0);
    expect(dot(a!, a!)).toBeCloseTo(1, 5);
    expect(dot(a!, c!)).toBeLessThan(0.5);
    expect(await m.getQueryEmbedding("the author wrote stories")).toEqual(a);
    expect((await m.getTextEmbedding("")).length).toBe(128);
  });
});
