import { afterEach, describe, expect, it, vi } from "vitest";
import {
  Document,
  type EmbedCallOptions,
  MetadataMode,
  MockEmbedding,
  SentenceSplitter,
  Settings,
  SimpleVectorStore,
  storageContextFromDefaults,
  VectorStoreIndex,
} from "../../src/index.js";

afterEach(() => Settings.reset());

/** A mock that answers after a random delay and records the batches it saw. */
class SlowEmbedding extends MockEmbedding {
  readonly batches: string[][] = [];
  failAt = -1;
  protected override async embedBatch(texts: string[], options: EmbedCallOptions): Promise<Float32Array[]> {
    const n = this.batches.push(texts) - 1;
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 4)));
    if (n === this.failAt) throw new Error("provider down");
    return super.embedBatch(texts, options);
  }
}

const WORDS = "river cache vector harbor signal battery ledger winter garden kernel thread museum".split(" ");
const corpus = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const sentences = Array.from(
      { length: 20 + (i % 7) },
      (_, k) => `${WORDS.map((_, j) => WORDS[(i * 7 + k * 3 + j) % WORDS.length]).join(" ")}.`,
    );
    return new Document({ id: `d${i}`, text: sentences.join(" "), metadata: { n: i } });
  });

describe("VectorStoreIndex.fromDocuments pipeline", () => {
  it("stores every chunk, with the same batches and vectors as splitting everything first", async () => {
    const docs = corpus(60);
    const splitter = new SentenceSplitter({ chunkSize: 64, chunkOverlap: 8 });
    const expected = splitter.getNodesFromDocuments(docs);
    const embedModel = new SlowEmbedding({ dimensions: 32, embedBatchSize: 5, maxConcurrency: 3 });
    const progress: [number, number][] = [];
    const index = await VectorStoreIndex.fromDocuments(docs, {
      embedModel,
      nodeParser: splitter,
      onProgress: (done, total) => progress.push([done, total]),
    });
    const store = index.vectorStore as SimpleVectorStore;
    expect(store.size).toBe(expected.length);
    expect(index.docStore.size).toBe(expected.length);
    const texts = expected.map((n) => n.getContent(MetadataMode.EMBED));
    expect(embedModel.batches.flat()).toEqual(texts);
    expect(embedModel.batches.slice(0, -1).every((b) => b.length === 5)).toBe(true);
    const reference = new MockEmbedding({ dimensions: 32 });
    const stored = [...index.docStore.docs];
    for (const [i, node] of stored.entries()) {
      expect(node.text).toBe(expected[i]!.text);
      expect(Array.from(store.get(node.id)!)).toEqual(
        Array.from(await reference.getTextEmbedding(texts[i]!)).map((v) => expect.closeTo(v, 5)),
      );
    }
    expect(progress.at(-1)).toEqual([expected.length, expected.length]);
    expect(progress.every(([, total]) => total === expected.length)).toBe(true);
    expect(progress.map(([d]) => d)).toEqual([...progress.map(([d]) => d)].sort((a, b) => a - b));
  });

  it("stores nothing when a batch fails", async () => {
    const embedModel = new SlowEmbedding({ dimensions: 16, embedBatchSize: 4, maxConcurrency: 2 });
    embedModel.failAt = 3;
    const storageContext = await storageContextFromDefaults();
    await expect(
      VectorStoreIndex.fromDocuments(corpus(40), {
        embedModel,
        storageContext,
        nodeParser: new SentenceSplitter({ chunkSize: 64, chunkOverlap: 8 }),
      }),
    ).rejects.toThrow("provider down");
    expect(storageContext.docStore.size).toBe(0);
    expect((storageContext.vectorStore as SimpleVectorStore).size).toBe(0);
  });

  it("honours an abort signal while embedding", async () => {
    const controller = new AbortController();
    const embedModel = new SlowEmbedding({ dimensions: 16, embedBatchSize: 2, maxConcurrency: 1 });
    let calls = 0;
    const promise = VectorStoreIndex.fromDocuments(corpus(30), {
      embedModel,
      signal: controller.signal,
      nodeParser: new SentenceSplitter({ chunkSize: 64, chunkOverlap: 8 }),
      onProgress: () => {
        if (++calls === 1) controller.abort();
      },
    });
    await expect(promise).rejects.toMatchObject({ name: "AbortError" });
  });

  it("adds each batch to a new index's vector store, in order, while later batches are still embedding", async () => {
    const events: string[] = [];
    class RecordingEmbedding extends MockEmbedding {
      protected override async embedBatch(
        texts: string[],
        options: EmbedCallOptions,
      ): Promise<Float32Array[]> {
        events.push(`embed ${texts.length}`);
        await new Promise((r) => setTimeout(r, 1));
        return super.embedBatch(texts, options);
      }
    }
    const realAdd = SimpleVectorStore.prototype.add;
    const add = vi.spyOn(SimpleVectorStore.prototype, "add").mockImplementation(function (
      this: SimpleVectorStore,
      nodes,
    ) {
      events.push(`add ${nodes.length}`);
      return realAdd.call(this, nodes);
    });
    const splitter = new SentenceSplitter({ chunkSize: 64, chunkOverlap: 8 });
    const docs = corpus(12);
    const expected = splitter.getNodesFromDocuments(docs);
    const index = await VectorStoreIndex.fromDocuments(docs, {
      embedModel: new RecordingEmbedding({ dimensions: 8, embedBatchSize: 4, maxConcurrency: 1 }),
      nodeParser: splitter,
    });
    add.mockRestore();
    const batches = Math.ceil(expected.length / 4);
    expect(events.filter((e) => e.startsWith("add"))).toHaveLength(batches);
    // The first batch is stored before the last one is requested.
    const lastEmbed = events.findLastIndex((e) => e.startsWith("embed"));
    expect(events.indexOf("add 4")).toBeGreaterThan(-1);
    expect(events.indexOf("add 4")).toBeLessThan(lastEmbed);
    expect((index.vectorStore as SimpleVectorStore).size).toBe(expected.length);
    expect(index.docStore.size).toBe(expected.length);
  });

  it("delivers a feed's vectors in push order even when later batches finish first", async () => {
    class ReverseEmbedding extends MockEmbedding {
      calls = 0;
      protected override async embedBatch(
        texts: string[],
        options: EmbedCallOptions,
      ): Promise<Float32Array[]> {
        const n = this.calls++;
        await new Promise((r) => setTimeout(r, 40 - 10 * n));
        return super.embedBatch(texts, options);
      }
    }
    const model = new ReverseEmbedding({ dimensions: 4, embedBatchSize: 2, maxConcurrency: 4 });
    const seen: [number, number][] = [];
    const feed = model.createFeed({}, (start, vectors) => seen.push([start, vectors.length]));
    feed.push(["a", "b", "c", "d", "e", "f", "g"]);
    const all = await feed.finish();
    expect(seen).toEqual([
      [0, 2],
      [2, 2],
      [4, 2],
      [6, 1],
    ]);
    expect(all).toHaveLength(7);
  });

  it("rejects, and stops adding, when a new index's store refuses a batch", async () => {
    class ShiftingEmbedding extends MockEmbedding {
      calls = 0;
      protected override async embedBatch(texts: string[]): Promise<Float32Array[]> {
        // The third batch comes back with another dimension: the store refuses it.
        const dims = this.calls++ === 2 ? 6 : 8;
        return texts.map(() => new Float32Array(dims).fill(1));
      }
    }
    const add = vi.spyOn(SimpleVectorStore.prototype, "add");
    try {
      await expect(
        VectorStoreIndex.fromDocuments(corpus(12), {
          embedModel: new ShiftingEmbedding({ dimensions: 8, embedBatchSize: 4, maxConcurrency: 1 }),
          nodeParser: new SentenceSplitter({ chunkSize: 64, chunkOverlap: 8 }),
        }),
      ).rejects.toThrow(/6-dimensional embedding but the store holds 8/);
      expect(add).toHaveBeenCalledTimes(3);
    } finally {
      add.mockRestore();
    }
  });

  it("stores nothing and leaves no add running when a batch of a new index fails", async () => {
    const embedModel = new SlowEmbedding({ dimensions: 16, embedBatchSize: 4, maxConcurrency: 2 });
    embedModel.failAt = 3;
    await expect(
      VectorStoreIndex.fromDocuments(corpus(40), {
        embedModel,
        nodeParser: new SentenceSplitter({ chunkSize: 64, chunkOverlap: 8 }),
      }),
    ).rejects.toThrow("provider down");
  });
});
