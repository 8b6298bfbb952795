import { afterEach, describe, expect, it } from "vitest";
import type { EmbedCallOptions } from "../../src/embeddings/base-embedding.js";
import { MockEmbedding } from "../../src/embeddings/mock-embedding.js";
import { VectorStoreIndex } from "../../src/indices/vector-store-index.js";
import { SentenceSplitter } from "../../src/ingestion/splitters/sentence-splitter.js";
import { Document, MetadataMode } from "../../src/schema/node.js";
import { Settings } from "../../src/settings/settings.js";
import { storageContextFromDefaults } from "../../src/storage/storage-context.js";
import type { SimpleVectorStore } from "../../src/storage/vector-store/simple-vector-store.js";

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
});
