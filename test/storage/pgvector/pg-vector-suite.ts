import { expect, it } from "vitest";
import {
  Document,
  InvalidArgumentError,
  type MetadataFilters,
  MockEmbedding,
  MockLLM,
  StorageContext,
  StorageError,
  TextNode,
  VectorStoreIndex,
} from "../../../src/index.js";
import { matchesFilters } from "../../../src/storage/vector-store/metadata-filters.js";
import type {
  PgVectorStore,
  PgVectorStoreOptions,
} from "../../../src/storage/vector-store/pgvector/index.js";
import { collect } from "../../support/fixtures.js";
import { bruteForce, expectMatches, nodesOf, randomVectors } from "../random-vectors.js";

/** How a runner opens stores and runs raw SQL against the database they use. */
export interface PgHarness {
  open(options: Omit<PgVectorStoreOptions, "connectionString" | "client" | "pglite">): PgVectorStore;
  sql(text: string, values?: unknown[]): Promise<unknown[]>;
}

let tables = 0;
const table = () => `t_${process.pid}_${++tables}`;

const unit = (v: number[]) => new Float32Array(v);

/** Nodes with assorted metadata for the filter tests (numbers, strings, booleans, arrays, quotes, missing keys). */
function metadataNodes(): TextNode[] {
  const metas: Record<string, unknown>[] = [
    { lang: "en", year: 2019, pinned: true, tags: ["a"], 'it\'s "q"': 'O\'Brien "x"' },
    { lang: "fr", year: 2021, pinned: false, score: 1.5 },
    { lang: "en", year: 2023, score: -2, title: "apple" },
    { lang: "de", year: "2021", title: "Banana" },
    { year: 2020.5, title: "cherry", pinned: "true" },
    { lang: "en", year: 2021, title: "ärger", nested: { x: 1 } },
    {},
  ];
  return metas.map(
    (metadata, i) =>
      new TextNode({
        id: `m${i}`,
        text: `meta ${i}`,
        metadata,
        refDocId: `doc${i % 3}`,
        embedding: [1, i, 0.5],
      }),
  );
}

const FILTER_CASES: MetadataFilters[] = [
  { filters: [{ key: "lang", value: "en" }] },
  { filters: [{ key: "lang", value: "en", operator: "!=" }] },
  { filters: [{ key: "year", value: 2021 }] },
  { filters: [{ key: "year", value: "2021" }] },
  { filters: [{ key: "pinned", value: true }] },
  { filters: [{ key: "pinned", value: true, operator: "!=" }] },
  { filters: [{ key: "year", value: 2021, operator: ">" }] },
  { filters: [{ key: "year", value: 2021, operator: ">=" }] },
  { filters: [{ key: "year", value: 2020.5, operator: "<" }] },
  { filters: [{ key: "year", value: 2020.5, operator: "<=" }] },
  { filters: [{ key: "score", value: 0, operator: "<" }] },
  { filters: [{ key: "title", value: "banana", operator: "<" }] },
  { filters: [{ key: "title", value: "apple", operator: ">=" }] },
  { filters: [{ key: "lang", value: ["en", "de"], operator: "in" }] },
  { filters: [{ key: "year", value: [2019, "2021", 2023], operator: "in" }] },
  { filters: [{ key: "lang", value: ["en"], operator: "nin" }] },
  { filters: [{ key: "lang", value: [], operator: "in" }] },
  { filters: [{ key: "lang", value: [], operator: "nin" }] },
  { filters: [{ key: "tags", value: ["a"], operator: "in" }] },
  { filters: [{ key: "nested", value: [1, "x"], operator: "in" }] },
  { filters: [{ key: "pinned", value: ["true"], operator: "in" }] },
  { filters: [{ key: "score", value: [1.5, -2], operator: "in" }] },
  { filters: [{ key: "tags", value: "a" }] },
  { filters: [{ key: 'it\'s "q"', value: 'O\'Brien "x"' }] },
  { filters: [{ key: "x'); DROP TABLE t; --", value: "'; DROP TABLE t; --" }] },
  { filters: [] },
  { condition: "or", filters: [] },
  {
    condition: "or",
    filters: [
      { key: "lang", value: "fr" },
      {
        filters: [
          { key: "lang", value: "en" },
          { key: "year", value: 2022, operator: ">" },
        ],
      },
    ],
  },
  {
    filters: [
      { key: "lang", value: "de", operator: "!=" },
      {
        condition: "or",
        filters: [
          { key: "pinned", value: true },
          { filters: [{ condition: "or", filters: [{ key: "score", value: 1, operator: ">" }] }] },
          { key: "title", value: ["cherry"], operator: "in" },
        ],
      },
    ],
  },
];

/** The store suite, run against every runner (in-process PGlite, `pg` over the wire protocol). */
export function pgVectorStoreSuite(harness: () => PgHarness): void {
  const open = (options: Partial<PgVectorStoreOptions> = {}) =>
    harness().open({ tableName: table(), dimensions: 3, ...options });

  it("matches brute-force cosine top-k on random vectors, exactly and through HNSW", async () => {
    const nodes = nodesOf(randomVectors(300, 16, 7));
    for (const hnsw of [false, { efSearch: 400 }] as const) {
      const store = open({ dimensions: 16, hnsw, batchSize: 64 });
      expect(await store.add(nodes)).toEqual(nodes.map((n) => n.id));
      expect(await store.count()).toBe(300);
      for (const [i, query] of randomVectors(5, 16, 99).entries()) {
        const k = [1, 5, 10, 50, 300][i]!;
        const result = await store.query({ queryEmbedding: query, similarityTopK: k });
        expectMatches(result, bruteForce(nodes, query, k), 1e-5);
        expect(result.nodes!.map((n) => n.id)).toEqual(result.ids);
      }
    }
  });

  it("upserts by id, the last copy winning, and rebuilds whole nodes", async () => {
    const store = open();
    const doc = new Document({ id: "doc", text: "whole", metadata: { a: 1 }, embedding: [0, 1, 0] });
    const node = new TextNode({
      id: "n1",
      text: "first",
      metadata: { source: "x.txt", n: 2 },
      refDocId: "doc",
      excludedLlmMetadataKeys: ["source"],
      startCharIdx: 3,
      endCharIdx: 8,
      embedding: [1, 0, 0],
    });
    await store.add([doc, node, new TextNode({ id: "n1", text: "dup", embedding: [1, 0, 0] }), node]);
    await store.add([new TextNode({ ...node.toJSON(), text: "second", embedding: [1, 0.1, 0] })]);
    expect(await store.count()).toBe(2);
    const { nodes, ids, similarities } = await store.query({ queryEmbedding: [1, 0, 0], similarityTopK: 5 });
    expect(ids).toEqual(["n1", "doc"]);
    expect(similarities[0]).toBeCloseTo(1 / Math.sqrt(1.01), 6);
    expect(similarities[1]).toBeCloseTo(0, 6);
    expect(nodes![0]!.toJSON()).toEqual({ ...node.toJSON(), text: "second" });
    expect(nodes![1]).toBeInstanceOf(Document);
    expect(nodes![1]!.toJSON()).toEqual(doc.toJSON());
  });

  it("filters by docIds and deletes by ref doc (a node without refDocId is its own document)", async () => {
    const store = open();
    await store.add([
      new TextNode({ id: "a1", text: "a1", refDocId: "A", embedding: [1, 0, 0] }),
      new TextNode({ id: "a2", text: "a2", refDocId: "A", embedding: [0.9, 0.1, 0] }),
      new TextNode({ id: "b1", text: "b1", refDocId: "B", embedding: [0.8, 0.2, 0] }),
      new TextNode({ id: "solo", text: "solo", embedding: [0.7, 0.3, 0] }),
    ]);
    const q = { queryEmbedding: [1, 0, 0], similarityTopK: 10 };
    expect((await store.query({ ...q, docIds: ["B", "solo"] })).ids).toEqual(["b1", "solo"]);
    expect((await store.query({ ...q, docIds: [] })).ids).toEqual([]);
    await store.delete("A");
    await store.delete("solo");
    await store.delete("missing");
    expect((await store.query(q)).ids).toEqual(["b1"]);
    await store.clear();
    expect(await store.count()).toBe(0);
  });

  it("pushes every filter operator, nesting and quoting down to SQL with the in-memory semantics", async () => {
    const store = open();
    const nodes = metadataNodes();
    await store.add(nodes);
    for (const filters of FILTER_CASES) {
      const expected = nodes.filter((n) => matchesFilters(n.metadata, filters)).map((n) => n.id);
      const { ids } = await store.query({ queryEmbedding: [1, 0, 0], similarityTopK: 100, filters });
      expect([...ids].sort(), JSON.stringify(filters)).toEqual(expected);
    }
    const both = await store.query({
      queryEmbedding: [1, 0, 0],
      similarityTopK: 100,
      docIds: ["doc0"],
      filters: { filters: [{ key: "lang", value: "en" }] },
    });
    expect(both.ids.sort()).toEqual(["m0"]);
    await expect(
      store.query({
        queryEmbedding: [1, 0, 0],
        similarityTopK: 1,
        filters: { filters: [{ key: "a", value: 1, op: "==" }] } as never,
      }),
    ).rejects.toThrow(InvalidArgumentError);
    expect(await store.count()).toBe(nodes.length);
  });

  it("rolls back a failed batch: nothing of the add is written", async () => {
    const store = open({ batchSize: 2 });
    await store.add([new TextNode({ id: "keep", text: "original", embedding: [1, 0, 0] })]);
    const batch = [
      new TextNode({ id: "keep", text: "overwritten", embedding: [0, 1, 0] }),
      new TextNode({ id: "x1", text: "x1", embedding: [0, 1, 0] }),
      new TextNode({ id: "x2", text: "x2", embedding: [0, 1, 0] }),
      new TextNode({ id: "bad", text: "nul \u0000 byte", embedding: [0, 1, 0] }),
    ];
    const error = await store.add(batch).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    // Rows are written in id order (a stable lock order): "bad" sorts first, into batch 1.
    expect((error as Error).message).toMatch(/"bad"…"keep" \(batch 1 of 2\).*nothing was written/);
    const wrongDims = [
      new TextNode({ id: "y", text: "y", embedding: [1, 0, 0] }),
      new TextNode({ id: "z", text: "z", embedding: [1, 0] }),
    ];
    await expect(store.add(wrongDims)).rejects.toThrow(
      /node "z" has a 2-dimensional embedding.*3-dimensional/,
    );
    const { nodes } = await store.query({ queryEmbedding: [1, 0, 0], similarityTopK: 10 });
    expect(nodes!.map((n) => [n.id, n.text])).toEqual([["keep", "original"]]);
  });

  it("rejects a query vector of the wrong dimensions and a table built for other dimensions", async () => {
    const store = open();
    await store.add([new TextNode({ id: "a", text: "a", embedding: [1, 0, 0] })]);
    await expect(store.query({ queryEmbedding: [1, 0], similarityTopK: 1 })).rejects.toThrow(
      /2 dimensions but the store holds 3-dimensional/,
    );
    const other = harness().open({ tableName: store.tableName.split(".")[1]!.slice(1, -1), dimensions: 4 });
    await expect(other.count()).rejects.toThrow(/holds vector\(3\) embeddings.*dimensions: 4/);
  });

  it("ranks by inner product and L2 with the documented similarities", async () => {
    const nodes = [
      new TextNode({ id: "big", text: "big", embedding: [3, 0, 0] }),
      new TextNode({ id: "near", text: "near", embedding: [1, 0.1, 0] }),
    ];
    const ip = open({ distance: "inner_product" });
    await ip.add(nodes);
    const byIp = await ip.query({ queryEmbedding: [1, 0, 0], similarityTopK: 2 });
    expect(byIp.ids).toEqual(["big", "near"]);
    expect(byIp.similarities[0]).toBeCloseTo(3, 5);
    const l2 = open({ distance: "l2" });
    await l2.add(nodes);
    const byL2 = await l2.query({ queryEmbedding: [1, 0, 0], similarityTopK: 2 });
    expect(byL2.ids).toEqual(["near", "big"]);
    expect(byL2.similarities[0]).toBeCloseTo(-0.1, 5);
    expect(byL2.similarities[1]).toBeCloseTo(-2, 5);
  });

  it("creates the HNSW, ref_doc_id and GIN indexes", async () => {
    const store = open({ hnsw: { m: 8, efConstruction: 32, efSearch: 20 } });
    await store.add([new TextNode({ id: "a", text: "a", embedding: unit([1, 0, 0]) })]);
    expect((await store.query({ queryEmbedding: [1, 0, 0], similarityTopK: 1 })).ids).toEqual(["a"]);
    const rows = (await harness().sql("SELECT indexdef FROM pg_indexes WHERE tablename = $1", [
      store.tableName.split(".")[1]!.slice(1, -1),
    ])) as { indexdef: string }[];
    const defs = rows.map((r) => r.indexdef).join("\n");
    expect(defs).toMatch(
      /USING hnsw \(embedding vector_cosine_ops\) WITH \(m='?8'?, ef_construction='?32'?\)/,
    );
    expect(defs).toMatch(/USING btree \(ref_doc_id\)/);
    expect(defs).toMatch(/USING gin \(metadata\)/);
  });

  it("answers a query on an empty table with no results, and backs an empty VectorStoreIndex", async () => {
    const embedModel = new MockEmbedding();
    const vectorStore = open({ dimensions: embedModel.dimensions });
    const queryEmbedding = await embedModel.getQueryEmbedding("anything");
    expect(await vectorStore.query({ queryEmbedding, similarityTopK: 3 })).toEqual({
      nodes: [],
      ids: [],
      similarities: [],
    });
    const filtered = await vectorStore.query({
      queryEmbedding,
      similarityTopK: 3,
      filters: { filters: [{ key: "lang", value: "en" }] },
    });
    expect(filtered.ids).toEqual([]);
    const index = await VectorStoreIndex.fromDocuments([], {
      storageContext: new StorageContext({ vectorStore }),
      embedModel,
    });
    const llm = new MockLLM();
    const res = await index.asQueryEngine({ streaming: true, llm }).query("anything?");
    expect(res.sourceNodes).toEqual([]);
    expect((await res.getResponse()).response).toBe("Empty Response");
    expect(llm.calls).toHaveLength(0);
    await index.insert(new Document({ id: "radio", text: "A crystal radio needs copper wire." }));
    const top = await index.asRetriever({ similarityTopK: 1 }).retrieve("copper wire");
    expect(top.map((n) => n.node.refDocId)).toEqual(["radio"]);
  });

  it("backs a VectorStoreIndex end to end with a streaming query", async () => {
    const embedModel = new MockEmbedding();
    const vectorStore = open({ dimensions: embedModel.dimensions });
    const docs = [
      new Document({ id: "radio", text: "A crystal radio needs copper wire and headphones." }),
      new Document({ id: "bread", text: "Sourdough bread needs flour, water and patience." }),
    ];
    const index = await VectorStoreIndex.fromDocuments(docs, {
      storageContext: new StorageContext({ vectorStore }),
      embedModel,
    });
    const llm = new MockLLM({ response: "Copper wire.", chunking: "char" });
    const res = await index
      .asQueryEngine({ streaming: true, similarityTopK: 1, llm })
      .query("what does a crystal radio need?");
    expect(res.sourceNodes.map((n) => n.node.refDocId)).toEqual(["radio"]);
    expect((await collect(res)).join("")).toBe("Copper wire.");
    expect(llm.calls[0]!.prompt).toContain("copper wire and headphones");
    // The table keeps the text: the docstore holds no second copy (LlamaIndex's default) unless asked to.
    expect(index.docStore.size).toBe(0);
    await index.deleteRefDoc("radio");
    expect(await vectorStore.count()).toBe(1);
    const kept = await VectorStoreIndex.fromDocuments([docs[0]!], {
      storageContext: new StorageContext({ vectorStore }),
      embedModel,
      storeNodesOverride: true,
    });
    expect([...kept.docStore.docs].map((n) => n.refDocId)).toEqual(["radio"]);
  });
}
