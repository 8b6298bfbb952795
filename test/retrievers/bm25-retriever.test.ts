import { describe, expect, it } from "vitest";
import { BM25Retriever, InvalidArgumentError, TextNode } from "../../src/index.js";

const corpus = [
  new TextNode({ id: "radio", text: "A crystal radio needs a coil of copper wire." }),
  new TextNode({ id: "boat", text: "The boat needs new paint; the boat leaks at the stern." }),
  new TextNode({ id: "tides", text: "Tide tables predict high water twice a day." }),
];

describe("BM25Retriever", () => {
  it("ranks by term rarity and frequency, best first, and drops non-matching nodes", async () => {
    const r = new BM25Retriever(corpus, { similarityTopK: 3 });
    const res = await r.retrieve("Which boat leaks?");
    expect(res.map((n) => n.node.id)).toEqual(["boat"]);
    const two = await r.retrieve("copper wire or high water");
    expect(two.map((n) => n.node.id).sort()).toEqual(["radio", "tides"]);
    expect(two[0]!.score!).toBeGreaterThanOrEqual(two[1]!.score!);
  });

  it("keeps top-k only, ignores stopwords, and validates", async () => {
    const r = new BM25Retriever(corpus, { similarityTopK: 1 });
    expect(await r.retrieve("the a of")).toEqual([]);
    expect((await r.retrieve("needs")).length).toBe(1);
    expect(() => new BM25Retriever(corpus, { similarityTopK: 0 })).toThrow(InvalidArgumentError);
    await expect(r.retrieve(" ")).rejects.toThrow(InvalidArgumentError);
    expect(await new BM25Retriever([]).retrieve("x")).toEqual([]);
  });
});
