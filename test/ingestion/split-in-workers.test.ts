import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import {
  AbortError,
  Document,
  InvalidArgumentError,
  MockEmbedding,
  SentenceSplitter,
  Settings,
  type TextNode,
  VectorStoreIndex,
} from "../../src/index.js";
import { splitInSteps } from "../../src/ingestion/split-in-steps.js";
import { splitInWorkers, splitWorkerCount } from "../../src/ingestion/splitters/split-in-workers.js";
import { mulberry32 } from "../support/prng.js";

const WORDS =
  "the river runs past old stone walls while quiet people watch boats drift slowly toward harbor café naïve 東京".split(
    " ",
  );

/** `n` deterministic documents of `paragraphs` paragraphs each, with metadata. */
function corpus(n: number, paragraphs: number, seed = 7): Document[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const paras: string[] = [];
    for (let p = 0; p < paragraphs; p++) {
      const sentences: string[] = [];
      for (let s = 0, m = 2 + Math.floor(rand() * 5); s < m; s++) {
        const words = Array.from(
          { length: 4 + Math.floor(rand() * 20) },
          () => WORDS[Math.floor(rand() * WORDS.length)],
        );
        sentences.push(`${words.join(" ")}.`);
      }
      paras.push(sentences.join(" "));
    }
    return new Document({
      id: `doc-${i}`,
      text: paras.join("\n\n"),
      metadata: { source: `file-${i}.txt`, n: i },
    });
  });
}

const key = (n: TextNode): string =>
  JSON.stringify([n.refDocId, n.startCharIdx, n.endCharIdx, n.text, n.metadata, n.excludedEmbedMetadataKeys]);

async function collect(parts: AsyncIterable<TextNode[]>): Promise<{ nodes: TextNode[]; parts: number }> {
  const nodes: TextNode[] = [];
  let count = 0;
  for await (const part of parts) {
    nodes.push(...part);
    count++;
  }
  return { nodes, parts: count };
}

/** OS threads of this process (Linux), to check that workers are gone, not just forgotten. */
function threads(): number {
  const status = readFileSync("/proc/self/status", "utf8");
  return Number(/^Threads:\s+(\d+)/m.exec(status)?.[1]);
}

async function threadsSettleAt(baseline: number): Promise<number> {
  // terminate() is asynchronous: give the threads a bounded time to exit.
  for (let i = 0; i < 100 && threads() > baseline; i++) await new Promise((r) => setTimeout(r, 20));
  return threads();
}

const hasProc = existsSync("/proc/self/status");

afterEach(() => {
  Settings.reset();
});

describe("splitting on worker threads", () => {
  const docs = corpus(150, 12);
  const splitter = new SentenceSplitter({ chunkSize: 96, chunkOverlap: 16 });
  const inline = splitter.getNodesFromDocuments(docs);

  it("yields exactly the nodes the splitter makes inline, in document order, a slice at a time", async () => {
    const baseline = hasProc ? threads() : 0;
    const { nodes, parts } = await collect(splitInWorkers(splitter, docs, 2));
    expect(nodes.map(key)).toEqual(inline.map(key));
    expect(parts).toBeGreaterThan(1);
    if (hasProc) expect(await threadsSettleAt(baseline)).toBeLessThanOrEqual(baseline);
  });

  it("falls back to this thread when a worker cannot start, with the same nodes", async () => {
    const broken = new SentenceSplitter({ chunkSize: 96, chunkOverlap: 16 });
    // Workers rebuild the clause regex from its source; a source that does not compile makes each one fail as it
    // starts, while this thread keeps its own compiled regex.
    Object.defineProperty(broken.secondaryChunkingRegex, "source", { value: "(" });
    const { nodes } = await collect(splitInWorkers(broken, docs, 2));
    expect(nodes.map(key)).toEqual(inline.map(key));
  });

  it("stops its workers when the reader breaks out early", async () => {
    const baseline = hasProc ? threads() : 0;
    let seen = 0;
    for await (const part of splitInWorkers(splitter, docs, 2)) {
      seen += part.length;
      if (seen > 0) break;
    }
    expect(seen).toBeGreaterThan(0);
    if (hasProc) expect(await threadsSettleAt(baseline)).toBeLessThanOrEqual(baseline);
  });

  it("an aborted signal ends the split with AbortError and stops the workers", async () => {
    const baseline = hasProc ? threads() : 0;
    const controller = new AbortController();
    const parts = splitInWorkers(splitter, docs, 2, controller.signal);
    const first = await parts.next();
    expect(first.done).toBe(false);
    controller.abort();
    await expect(parts.next()).rejects.toBeInstanceOf(AbortError);
    if (hasProc) expect(await threadsSettleAt(baseline)).toBeLessThanOrEqual(baseline);
  });

  it("metadata that leaves no room for text is the same typed error as inline", async () => {
    const tiny = new SentenceSplitter({ chunkSize: 24, chunkOverlap: 0 });
    const bad = [
      ...corpus(60, 1),
      new Document({
        id: "too-much",
        text: "Some text.",
        metadata: { notes: "a b c d e f g h i j k l m n o p q r s t u v w x y z" },
      }),
    ];
    expect(() => tiny.getNodesFromDocuments(bad)).toThrow(/too-much/);
    const error = await collect(splitInWorkers(tiny, bad, 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/metadata of node too-much is \d+ tokens/);
  });
});

describe("when to split on workers", () => {
  it("only for the default tokenizer and large inputs, unless asked", () => {
    const splitter = new SentenceSplitter();
    const small = corpus(3, 2);
    expect(splitWorkerCount(splitter, small, undefined)).toBe(0);
    expect(splitWorkerCount(splitter, small, 3)).toBe(3);
    const big = [new Document({ text: "word ".repeat(300_000) })];
    expect(splitWorkerCount(splitter, big, 0)).toBe(0);
    // By default only with cores to spare: one for the caller, one for the rest (e.g. a local embedding server).
    expect(splitWorkerCount(splitter, big, undefined, 2)).toBe(0);
    expect(splitWorkerCount(splitter, big, undefined, 4)).toBe(2);
    expect(splitWorkerCount(splitter, big, undefined, 16)).toBe(4);
    expect(splitWorkerCount(splitter, small, undefined, 16)).toBe(0);
    const custom = new SentenceSplitter({
      tokenizer: { encode: () => [], decode: () => "", countTokens: (t) => t.length },
    });
    expect(splitWorkerCount(custom, big, 2)).toBe(0);
    Settings.tokenizer = { encode: () => [], decode: () => "", countTokens: (t) => t.length };
    expect(splitWorkerCount(new SentenceSplitter(), big, 2)).toBe(0);
  });

  it("rejects a bad splitWorkers value by name", async () => {
    await expect(
      collect(splitInSteps(corpus(2, 2), new SentenceSplitter(), { splitWorkers: -1 })),
    ).rejects.toThrow(InvalidArgumentError);
    await expect(
      collect(splitInSteps(corpus(2, 2), new SentenceSplitter(), { splitWorkers: -1 })),
    ).rejects.toThrow(/splitWorkers/);
  });

  it("fromDocuments stores the same nodes and vectors with and without workers", async () => {
    const docs = corpus(80, 10, 11);
    const embedModel = new MockEmbedding({ dimensions: 16 });
    const a = await VectorStoreIndex.fromDocuments(docs, {
      embedModel,
      chunkSize: 80,
      chunkOverlap: 10,
      splitWorkers: 0,
    });
    const b = await VectorStoreIndex.fromDocuments(docs, {
      embedModel,
      chunkSize: 80,
      chunkOverlap: 10,
      splitWorkers: 2,
    });
    const nodesOf = (index: VectorStoreIndex): TextNode[] => [...index.docStore.docs];
    expect(nodesOf(b).map(key)).toEqual(nodesOf(a).map(key));
    const query = { queryEmbedding: await embedModel.getQueryEmbedding("stone walls"), similarityTopK: 3 };
    const texts = async (index: VectorStoreIndex) =>
      (await index.vectorStore.query(query)).ids.map((id) => index.docStore.getNode(id)?.text);
    expect(await texts(b)).toEqual(await texts(a));
  });
});
