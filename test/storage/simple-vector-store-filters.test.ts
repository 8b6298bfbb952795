import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type FilterOperator,
  InvalidArgumentError,
  loadStorageContext,
  type MetadataFilter,
  type MetadataFilters,
  SimpleVectorStore,
  StorageError,
  storageContextFromDefaults,
  TextNode,
} from "../../src/index.js";
import { writeIndexFiles } from "../../src/storage/index-files.js";
import { PERSIST_FILES } from "../../src/storage/storage-context.js";
import { bruteForce, expectMatches, nodesOf, randomVectors, rng } from "./random-vectors.js";

const LANGS = ["en", "fr", "de"];

/** Nodes with varied metadata; `tag` is missing on every fifth node. */
function withMetadata(count: number, dims: number, seed: number): TextNode[] {
  const nodes = nodesOf(randomVectors(count, dims, seed), 10);
  nodes.forEach((n, i) => {
    n.metadata = { lang: LANGS[i % 3]!, year: 2000 + (i % 25), pinned: i % 7 === 0, title: `t${i % 13}` };
    if (i % 5 !== 0) n.metadata.tag = `g${i % 4}`;
  });
  return nodes;
}

/** An independent reference evaluator of the documented semantics. */
function reference(m: Record<string, unknown>, f: MetadataFilters | MetadataFilter): boolean {
  if ("filters" in f) {
    const results = f.filters.map((x) => reference(m, x));
    return f.condition === "or" ? results.includes(true) : !results.includes(false);
  }
  const has = f.key in m;
  const v = m[f.key];
  const list = f.value as unknown[];
  switch (f.operator ?? "==") {
    case "==":
      return has && v === f.value;
    case "!=":
      return !(has && v === f.value);
    case "in":
      return has && list.includes(v);
    case "nin":
      return !(has && list.includes(v));
    default: {
      if (!has || typeof v !== typeof f.value) return false;
      const [a, b] = [v as number, f.value as number];
      return { ">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b }[f.operator as string]!;
    }
  }
}

/** A random filter tree over the metadata of {@link withMetadata}. */
function randomFilters(next: () => number, depth = 0): MetadataFilters {
  const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)]!;
  const leaf = (): MetadataFilter => {
    const op = pick<FilterOperator>(["==", "!=", ">", ">=", "<", "<=", "in", "nin"]);
    const key = pick(["lang", "year", "pinned", "tag", "title"]);
    const scalar = {
      lang: pick(LANGS),
      year: 2000 + Math.floor(next() * 25),
      tag: `g${Math.floor(next() * 4)}`,
    };
    if (op === "in" || op === "nin") {
      return { key, operator: op, value: key === "year" ? [2001, 2003, 2010] : [pick(LANGS), "g1", "t3"] };
    }
    if (key === "pinned") return { key, operator: op === "!=" ? "!=" : "==", value: next() < 0.5 };
    const value =
      key === "year" ? scalar.year : key === "lang" ? scalar.lang : key === "tag" ? scalar.tag : "t5";
    return { key, operator: op, value };
  };
  const size = 1 + Math.floor(next() * 3);
  const filters = Array.from({ length: size }, () =>
    depth < 2 && next() < 0.3 ? randomFilters(next, depth + 1) : leaf(),
  );
  return { condition: next() < 0.5 ? "and" : "or", filters };
}

describe("SimpleVectorStore filters", () => {
  for (const screening of [true, false]) {
    it(`[screening ${screening}] equals brute force over the matching rows, for random filter trees`, async () => {
      const nodes = withMetadata(3000, 24, 7);
      const store = new SimpleVectorStore({ screening });
      await store.add(nodes);
      const next = rng(11);
      const queries = randomVectors(60, 24, 12);
      const strategies = new Set<string>();
      for (const [i, q] of queries.entries()) {
        const filters = randomFilters(next);
        const k = [1, 5, 40][i % 3]!;
        const docIds = i % 4 === 0 ? ["d1", "d2", "d3", "d4"] : undefined;
        const eligible = nodes.filter(
          (n) => reference(n.metadata, filters) && (docIds === undefined || docIds.includes(n.refDocId!)),
        );
        const result = await store.query({ queryEmbedding: q, similarityTopK: k, filters, docIds });
        expectMatches(result, bruteForce(eligible, q, k));
        expect(store.lastQueryStats!.candidates).toBe(eligible.length);
        strategies.add(store.lastQueryStats!.strategy);
      }
      expect([...strategies].sort()).toEqual(screening ? ["exact", "screened"] : ["exact"]);
    });
  }

  it("takes the exact top k among matching rows, even when better rows do not match", async () => {
    const store = new SimpleVectorStore();
    await store.add([
      new TextNode({ id: "best", text: "", embedding: [1, 0], metadata: { lang: "fr" } }),
      new TextNode({ id: "ok", text: "", embedding: [0.6, 0.8], metadata: { lang: "en" } }),
      new TextNode({ id: "worst", text: "", embedding: [-1, 0], metadata: { lang: "en" } }),
    ]);
    const result = await store.query({
      queryEmbedding: [1, 0],
      similarityTopK: 1,
      filters: { filters: [{ key: "lang", value: "en" }] },
    });
    expect(result.ids).toEqual(["ok"]);
    const none = await store.query({
      queryEmbedding: [1, 0],
      similarityTopK: 3,
      filters: { filters: [{ key: "lang", value: "xx" }] },
    });
    expect(none).toEqual({ ids: [], similarities: [] });
  });

  it("validates filters even on an empty store, and rejects a wrong-dimension query clearly", async () => {
    const empty = new SimpleVectorStore();
    const bad = { filters: [{ key: "a", value: "x", operator: "in" }] } as unknown as MetadataFilters;
    await expect(empty.query({ queryEmbedding: [1], similarityTopK: 1, filters: bad })).rejects.toThrow(
      InvalidArgumentError,
    );
    const store = new SimpleVectorStore();
    await store.add(withMetadata(10, 4, 1));
    const error = await store
      .query({
        queryEmbedding: [1, 0, 0],
        similarityTopK: 1,
        filters: { filters: [{ key: "lang", value: "en" }] },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe("queryEmbedding");
    expect((error as Error).message).toMatch(/3 dimensions.*4-dimensional/);
  });

  it("upserts by id: vector, document and metadata are replaced; delete by document still works", async () => {
    const store = new SimpleVectorStore();
    const node = (id: string, embedding: number[], refDocId: string, lang: string) =>
      new TextNode({ id, text: "", embedding, refDocId, metadata: { lang } });
    await store.add([
      node("a", [1, 0], "x", "en"),
      node("b", [0, 1], "x", "en"),
      node("c", [1, 1], "z", "de"),
    ]);
    await store.add([node("a", [0, -1], "y", "fr")]);
    expect(store.size).toBe(3);
    expect(store.getMetadata("a")).toEqual({ lang: "fr" });
    const fr = { filters: [{ key: "lang", value: "fr" }] };
    expect((await store.query({ queryEmbedding: [0, -1], similarityTopK: 3, filters: fr })).ids).toEqual([
      "a",
    ]);
    await store.delete("x");
    expect(store.has("a")).toBe(true);
    expect(store.has("b")).toBe(false);
    await store.delete("y");
    const en = await store.query({
      queryEmbedding: [1, 0],
      similarityTopK: 3,
      filters: { filters: [{ key: "lang", value: "en", operator: "!=" }] },
    });
    expect(en.ids).toEqual(["c"]);
    expect(store.getMetadata("c")).toEqual({ lang: "de" });
  });

  it("keeps a copy of the metadata taken at add", async () => {
    const store = new SimpleVectorStore();
    const n = new TextNode({ id: "a", text: "", embedding: [1], metadata: { lang: "en" } });
    await store.add([n]);
    n.metadata.lang = "fr";
    expect(store.getMetadata("a")).toEqual({ lang: "en" });
  });
});

describe("filters across persistence", () => {
  const filters: MetadataFilters = {
    filters: [
      { key: "lang", value: ["en", "de"], operator: "in" },
      {
        condition: "or",
        filters: [
          { key: "year", value: 2020, operator: ">=" },
          { key: "pinned", value: true },
        ],
      },
    ],
  };

  it("survive toBinary / fromBinary and a persisted storage context (format version 2)", async () => {
    const nodes = withMetadata(500, 16, 3);
    const store = new SimpleVectorStore();
    await store.add(nodes);
    const { header, rows } = store.toBinary();
    expect(header.formatVersion).toBe(2);
    const copy = await SimpleVectorStore.fromBinary(JSON.parse(JSON.stringify(header)), rows.slice());
    const [q] = randomVectors(1, 16, 4);
    const expected = await store.query({ queryEmbedding: q!, similarityTopK: 7, filters });
    expectMatches(
      expected,
      bruteForce(
        nodes.filter((n) => reference(n.metadata, filters)),
        q!,
        7,
      ),
    );
    expect(await copy.query({ queryEmbedding: q!, similarityTopK: 7, filters })).toEqual(expected);

    const dir = await mkdtemp(join(tmpdir(), "streamdex-filters-"));
    try {
      const context = await storageContextFromDefaults();
      await context.vectorStore.add(nodes);
      context.docStore.addDocuments(nodes);
      await context.persist(dir);
      const saved = JSON.parse(await readFile(join(dir, PERSIST_FILES.vectorStore), "utf8"));
      expect(saved.metadata[1]).toEqual(nodes[1]!.metadata);
      const loaded = await loadStorageContext(dir);
      expect(await loaded.vectorStore.query({ queryEmbedding: q!, similarityTopK: 7, filters })).toEqual(
        expected,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("version 1 files (no metadata) still load, taking metadata from the docstore", async () => {
    const nodes = withMetadata(50, 8, 5);
    const store = new SimpleVectorStore();
    await store.add(nodes);
    const { header, rows } = store.toBinary();
    const { metadata: _dropped, ...v1 } = { ...header, formatVersion: 1 as const };
    const bare = await SimpleVectorStore.fromBinary(v1, rows.slice());
    expect(bare.getMetadata("n1")).toEqual({});
    const dir = await mkdtemp(join(tmpdir(), "streamdex-filters-v1-"));
    try {
      const docStore = (await storageContextFromDefaults()).docStore;
      docStore.addDocuments(nodes);
      const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
      await writeIndexFiles(dir, [
        { name: PERSIST_FILES.docStore, data: encode(docStore.toJSON()) },
        { name: PERSIST_FILES.vectorStore, data: encode(v1) },
        { name: PERSIST_FILES.vectors, data: rows.slice() },
      ]);
      const loaded = await loadStorageContext(dir);
      const [q] = randomVectors(1, 8, 6);
      expect(await loaded.vectorStore.query({ queryEmbedding: q!, similarityTopK: 5, filters })).toEqual(
        await store.query({ queryEmbedding: q!, similarityTopK: 5, filters }),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("rejects an unknown future version and a version 2 header without metadata", async () => {
    const store = new SimpleVectorStore();
    await store.add(withMetadata(3, 2, 1));
    const { header, rows } = store.toBinary();
    await expect(SimpleVectorStore.fromBinary({ ...header, formatVersion: 3 }, rows)).rejects.toThrow(
      /format version number 3, this version reads 1 and 2/,
    );
    const { metadata: _m, ...noMetadata } = header;
    await expect(SimpleVectorStore.fromBinary(noMetadata, rows)).rejects.toThrow(StorageError);
  });
});
