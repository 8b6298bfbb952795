import { describe, expect, it, vi } from "vitest";
import {
  AbortError,
  type BaseRetriever,
  BM25Retriever,
  fusionRetriever,
  getResponseSynthesizer,
  InvalidArgumentError,
  MockEmbedding,
  MockLLM,
  type NodeWithScore,
  QueryFusionRetriever,
  type RetrieveOptions,
  RetrieverQueryEngine,
  TextNode,
  VectorStoreIndex,
} from "../../src/index.js";
import { reciprocalRankFusion } from "../../src/retrievers/fusion-retriever.js";

const node = (id: string) => new TextNode({ id, text: `text of ${id}` });

/**
 * A retriever returning fixed ids in order (scores irrelevant to RRF), recording its calls in `log`. With a
 * `gate`, each call waits for it before answering (to see which calls are in flight at once).
 */
function fixed(ids: string[], gate?: Promise<void>, log: string[] = []) {
  const calls: Array<{ query: string; options?: RetrieveOptions }> = [];
  const retriever: BaseRetriever & { calls: typeof calls } = {
    calls,
    async retrieve(query, options) {
      calls.push({ query, options });
      log.push(`start ${ids.join("")}`);
      await gate;
      log.push(`end ${ids.join("")}`);
      return ids.map((id, i): NodeWithScore => ({ node: node(id), score: 100 - i }));
    },
  };
  return retriever;
}

describe("reciprocal rank fusion", () => {
  it("orders a hand-made example by the sum of 1 / (k + rank), deduplicating by id", () => {
    // a: ranks 1 and 3; b: rank 2 and 1; c: rank 3 only; d: rank 2 only.
    const lists = [
      ["a", "b", "c"],
      ["b", "d", "a"],
    ].map((ids) => ids.map((id) => ({ node: node(id), score: 1 })));
    const fused = reciprocalRankFusion(lists, 60);
    expect(fused.map((n) => n.node.id)).toEqual(["b", "a", "d", "c"]);
    expect(fused[0]!.score).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(fused[1]!.score).toBeCloseTo(1 / 61 + 1 / 63, 12);
    expect(fused[2]!.score).toBeCloseTo(1 / 62, 12);
    // A small k rewards a first place more: a (1, 3) then beats b (2, 1)? 1/1+1/3 > 1/2+1/1 is false; use k = 0.
    expect(reciprocalRankFusion(lists, 0).map((n) => n.node.id)).toEqual(["b", "a", "d", "c"]);
    // Ties keep first appearance: x and y both rank 1 once.
    const tie = reciprocalRankFusion([[{ node: node("x") }], [{ node: node("y") }]]);
    expect(tie.map((n) => n.node.id)).toEqual(["x", "y"]);
  });

  it("counts a node repeated within one list once, at its best rank", () => {
    const fused = reciprocalRankFusion([[{ node: node("a") }, { node: node("a") }, { node: node("b") }]], 60);
    expect(fused.map((n) => [n.node.id, n.score])).toEqual([
      ["a", 1 / 61],
      ["b", 1 / 63],
    ]);
  });
});

describe("QueryFusionRetriever", () => {
  it("queries every retriever concurrently with the query's signal and keeps the top k", async () => {
    // Concurrency by order, not by the clock: both calls are in flight before either may finish.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const log: string[] = [];
    const one = fixed(["a", "b", "c"], gate, log);
    const two = fixed(["b", "d", "a"], gate, log);
    const retriever = new QueryFusionRetriever({ retrievers: [one, two], similarityTopK: 3 });
    const signal = new AbortController().signal;
    const pending = retriever.retrieve("q", { signal });
    await vi.waitFor(() => expect(log).toEqual(["start abc", "start bda"]));
    open();
    const res = await pending;
    expect(log.slice(2).sort()).toEqual(["end abc", "end bda"]);
    expect(res.map((n) => n.node.id)).toEqual(["b", "a", "d"]);
    expect(one.calls[0]!.options?.signal).toBe(signal);
    expect(two.calls[0]!.options?.signal).toBe(signal);
    expect(new Set(res.map((n) => n.node.id)).size).toBe(res.length);
  });

  it("fusionRetriever is shorthand; defaults are k = 60 and similarityTopK = 2", async () => {
    const r = fusionRetriever([fixed(["a"]), fixed(["b"])]);
    expect(r).toBeInstanceOf(QueryFusionRetriever);
    expect([r.k, r.similarityTopK]).toEqual([60, 2]);
  });

  it("validates its options and the query; an aborted signal or a failing retriever rejects", async () => {
    expect(() => new QueryFusionRetriever({ retrievers: [] })).toThrow(InvalidArgumentError);
    expect(() => new QueryFusionRetriever({ retrievers: [{} as BaseRetriever] })).toThrow(/element 0/);
    expect(() => fusionRetriever([fixed([])], { k: -1 })).toThrow(InvalidArgumentError);
    expect(() => fusionRetriever([fixed([])], { similarityTopK: 0 })).toThrow(InvalidArgumentError);
    const r = fusionRetriever([fixed(["a"])]);
    await expect(r.retrieve("")).rejects.toThrow(InvalidArgumentError);
    const controller = new AbortController();
    controller.abort();
    await expect(r.retrieve("q", { signal: controller.signal })).rejects.toThrow(AbortError);
    const failing: BaseRetriever = { retrieve: () => Promise.reject(new Error("down")) };
    await expect(fusionRetriever([fixed(["a"]), failing]).retrieve("q")).rejects.toThrow("down");
  });

  it("fuses vector and BM25 retrieval inside a RetrieverQueryEngine with MockLLM", async () => {
    const texts = {
      radio: "A crystal radio needs a coil of copper wire and headphones.",
      tides: "Tide tables predict high water at the harbour twice a day.",
      cats: "Cats purr and sleep on warm windowsills all afternoon.",
      copper: "Copper is mined, smelted and drawn into wire.",
    };
    const nodes = Object.entries(texts).map(([id, text]) => new TextNode({ id, text }));
    const index = await VectorStoreIndex.fromNodes(nodes, { embedModel: new MockEmbedding() });
    const bm25 = new BM25Retriever(index.docStore.docs, { similarityTopK: 3 });
    const vector = index.asRetriever({ similarityTopK: 3 });
    const hybrid = fusionRetriever([vector, bm25], { similarityTopK: 2 });
    const question = "copper wire for a crystal radio";
    const [v, b] = [await vector.retrieve(question), await bm25.retrieve(question)];
    const expected = reciprocalRankFusion([v, b]).slice(0, 2);

    const llm = new MockLLM({ response: "Use copper wire." });
    const engine = new RetrieverQueryEngine({
      retriever: hybrid,
      responseSynthesizer: getResponseSynthesizer({ llm }),
    });
    const res = await engine.query(question);
    expect(res.response).toBe("Use copper wire.");
    expect(res.sourceNodes.map((n) => n.node.id)).toEqual(expected.map((n) => n.node.id));
    expect(res.sourceNodes[0]!.node.id).toBe("radio");
    expect(res.sourceNodes.map((n) => n.score)).toEqual(expected.map((n) => n.score));
    expect(llm.calls[0]!.prompt).toContain("coil of copper wire");
  });
});
