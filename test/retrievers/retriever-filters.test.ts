import { describe, expect, it } from "vitest";
import {
  BM25Retriever,
  InvalidArgumentError,
  type MetadataFilters,
  MockEmbedding,
  StorageContext,
  TextNode,
  VectorIndexRetriever,
  type VectorStore,
  VectorStoreIndex,
  type VectorStoreQuery,
} from "../../src/index.js";

const corpus = () => [
  new TextNode({ id: "r1", text: "Copper wire for a crystal radio.", metadata: { lang: "en", year: 2019 } }),
  new TextNode({
    id: "r2",
    text: "Copper wire coils, copper wire everywhere.",
    metadata: { lang: "fr", year: 2022 },
  }),
  new TextNode({ id: "r3", text: "Wire the radio with copper.", metadata: { lang: "en", year: 2023 } }),
  new TextNode({ id: "r4", text: "Tide tables for the harbour.", metadata: { lang: "en", year: 2024 } }),
];

const recent: MetadataFilters = {
  filters: [
    { key: "lang", value: "en" },
    { key: "year", value: 2020, operator: ">=" },
  ],
};

describe("BM25Retriever filters", () => {
  it("returns the top k among matching nodes only", async () => {
    const all = await new BM25Retriever(corpus(), { similarityTopK: 4 }).retrieve("copper wire");
    expect(all.map((n) => n.node.id)).toEqual(["r2", "r3", "r1"]);
    const filtered = await new BM25Retriever(corpus(), { similarityTopK: 1, filters: recent }).retrieve(
      "copper wire",
    );
    expect(filtered.map((n) => n.node.id)).toEqual(["r3"]);
    const or: MetadataFilters = {
      condition: "or",
      filters: [{ key: "lang", value: "fr" }, { filters: [{ key: "year", value: [2019], operator: "in" }] }],
    };
    const either = await new BM25Retriever(corpus(), { similarityTopK: 4, filters: or }).retrieve(
      "copper wire",
    );
    expect(either.map((n) => n.node.id)).toEqual(["r2", "r1"]);
  });

  it("rejects bad filters at construction", () => {
    const bad = { filters: [{ key: "year", value: 2020, operator: "in" }] } as unknown as MetadataFilters;
    expect(() => new BM25Retriever(corpus(), { filters: bad })).toThrow(InvalidArgumentError);
  });
});

describe("VectorIndexRetriever filters", () => {
  it("pass through asRetriever to the vector store, validated up front", async () => {
    const index = await VectorStoreIndex.fromNodes(corpus(), { embedModel: new MockEmbedding() });
    const nodes = await index
      .asRetriever({ similarityTopK: 4, filters: recent })
      .retrieve("copper wire radio");
    expect(nodes.map((n) => n.node.id).sort()).toEqual(["r3", "r4"]);
    const bad = { filters: [{ key: "year", value: 1, operator: "~" }] } as unknown as MetadataFilters;
    expect(() => index.asRetriever({ filters: bad })).toThrow(/unknown operator "~"/);
  });

  it("sends no filters key when none are given, and the given filters otherwise", async () => {
    const seen: VectorStoreQuery[] = [];
    const store: VectorStore = {
      storesText: true,
      add: async (nodes) => nodes.map((n) => n.id),
      delete: async () => undefined,
      query: async (q) => {
        seen.push(q);
        return { ids: [], similarities: [], nodes: [] };
      },
    };
    const index = new VectorStoreIndex({
      storageContext: new StorageContext({ vectorStore: store }),
      embedModel: new MockEmbedding(),
    });
    await new VectorIndexRetriever(index).retrieve("x");
    await index.asRetriever({ filters: recent }).retrieve("x");
    expect("filters" in seen[0]!).toBe(false);
    expect(seen[1]!.filters).toBe(recent);
  });
});
