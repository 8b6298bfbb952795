import { AutoTokenizer, env } from "@huggingface/transformers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Document, MockLLM, VectorStoreIndex } from "../../../src/index.js";
import {
  HuggingFaceEmbedding,
  type HuggingFaceEmbeddingOptions,
} from "../../../src/providers/huggingface/index.js";
import { ensureTinyBert } from "../../fixtures/onnx/make-tiny-bert.js";

let model: string;
const created: HuggingFaceEmbedding[] = [];

function embedding(options: Partial<HuggingFaceEmbeddingOptions> = {}): HuggingFaceEmbedding {
  const e = new HuggingFaceEmbedding({ model, ...options });
  created.push(e);
  return e;
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, v, i) => sum + v * b[i]!, 0);
const norm = (a: Float32Array) => Math.sqrt(dot(a, a));
const cosine = (a: Float32Array, b: Float32Array) => dot(a, b) / (norm(a) * norm(b));

beforeAll(() => {
  env.allowRemoteModels = false;
  model = ensureTinyBert();
});

afterAll(async () => {
  await Promise.all(created.map((e) => e.dispose()));
});

describe("HuggingFaceEmbedding: a real BERT encoder through transformers.js", () => {
  it("returns [n, hidden_size] Float32Arrays, unit length by default, in input order", async () => {
    const texts = ["the lighthouse keeper", "a storm at sea", "the computer school", "an essay"];
    const vectors = await embedding().getTextEmbeddings(texts);
    expect(vectors).toHaveLength(4);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v.length).toBe(32);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    const one = await embedding().getTextEmbedding("a storm at sea");
    expect(cosine(one, vectors[1]!)).toBeCloseTo(1, 6);
    expect(cosine(vectors[0]!, vectors[1]!)).toBeLessThan(0.999);
  });

  it("a text embeds the same alone and padded in a batch of longer texts (cosine 1.0)", async () => {
    const e = embedding({ embedBatchSize: 8 });
    const alone = await e.getTextEmbedding("hello keeper");
    const batch = await e.getTextEmbeddings([
      "hello keeper",
      "a much longer text about the lighthouse keeper, the island and the storm at night",
      "hello keeper",
      "short",
    ]);
    expect(cosine(alone, batch[0]!)).toBeCloseTo(1, 6);
    expect(cosine(alone, batch[2]!)).toBeCloseTo(1, 6);
    for (let i = 0; i < alone.length; i++) expect(batch[0]![i]).toBeCloseTo(alone[i]!, 5);
  });

  it("batches by embedBatchSize: one forward pass per batch", async () => {
    const e = embedding({ embedBatchSize: 3 });
    const progress: number[] = [];
    const texts = Array.from({ length: 7 }, (_, i) => `text number ${i}`);
    const vectors = await e.getTextEmbeddings(texts, { onProgress: (done) => progress.push(done) });
    expect(progress).toEqual([3, 6, 7]);
    const single = await e.getTextEmbedding("text number 5");
    expect(cosine(single, vectors[5]!)).toBeCloseTo(1, 6);
  });

  it("pooling: cls differs from mean; normalize: false keeps the raw length", async () => {
    const text = "the author wrote stories";
    const mean = await embedding().getTextEmbedding(text);
    const cls = await embedding({ pooling: "cls" }).getTextEmbedding(text);
    expect(cosine(mean, cls)).toBeLessThan(0.999);
    const raw = await embedding({ normalize: false }).getTextEmbedding(text);
    expect(norm(raw)).not.toBeCloseTo(1, 2);
    expect(cosine(raw, mean)).toBeCloseTo(1, 5);
  });

  it("serves a VectorStoreIndex: the nearest chunk to a query is the one with the same words", async () => {
    const embedModel = embedding();
    const index = await VectorStoreIndex.fromDocuments(
      [
        new Document({ text: "The lighthouse keeper kept the light on every night." }),
        new Document({ text: "The author programmed a computer at school." }),
      ],
      { embedModel },
    );
    const engine = index.asQueryEngine({ llm: new MockLLM(), similarityTopK: 1 });
    const res = await engine.query("the author programmed a computer at school");
    expect(res.sourceNodes[0]?.node.getContent()).toContain("programmed a computer");
    // The query embedding's tokens, counted with the model's own tokenizer, special tokens included.
    const tokenizer = await AutoTokenizer.from_pretrained(model);
    const ids = tokenizer.encode("the author programmed a computer at school");
    expect(ids.length).toBeGreaterThan(7); // [CLS] … [SEP]
    expect(res.usage?.embeddingTokens).toBe(ids.length);
    expect(res.usage?.estimated).toBeUndefined();
  });
});
