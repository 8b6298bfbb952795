import { describe, expect, it } from "vitest";
import { InvalidArgumentError, SimpleVectorStore, StorageError, TextNode } from "../../src/index.js";
import { bruteForce, expectMatches, nodesOf, randomVectors } from "./random-vectors.js";

const node = (id: string, embedding: number[], refDocId?: string) =>
  new TextNode({ id, text: id, embedding, refDocId });

describe("SimpleVectorStore", () => {
  it("stores ids and vectors only, and reports size and dimensions", async () => {
    const store = new SimpleVectorStore();
    expect(store.storesText).toBe(false);
    expect(store.size).toBe(0);
    expect(store.dimensions).toBeUndefined();
    expect(await store.add([node("a", [1, 0, 0]), node("b", [0, 2, 0])])).toEqual(["a", "b"]);
    expect(store.size).toBe(2);
    expect(store.dimensions).toBe(3);
    expect(store.has("a")).toBe(true);
    expect(store.has("zz")).toBe(false);
    expect(Array.from(store.get("b")!)).toEqual([0, 2, 0]);
    expect(store.get("zz")).toBeUndefined();
  });

  it("returns nothing from an empty store", async () => {
    const store = new SimpleVectorStore();
    expect(await store.query({ queryEmbedding: [1, 2], similarityTopK: 3 })).toEqual({
      ids: [],
      similarities: [],
    });
  });

  for (const backend of ["wasm", "js"] as const) {
    it(`[${backend}] matches brute force on random data, for k = 1, 2, 10 and k > n`, async () => {
      const vectors = randomVectors(1500, 96, 1);
      const nodes = nodesOf(vectors);
      const store = new SimpleVectorStore({ backend });
      expect(store.backend).toBe(backend);
      await store.add(nodes);
      for (const [i, query] of randomVectors(12, 96, 2).entries()) {
        for (const k of [1, 2, 10]) {
          expectMatches(
            await store.query({ queryEmbedding: query, similarityTopK: k }),
            bruteForce(nodes, query, k),
          );
          expect(store.lastQueryStats?.strategy).toBe("screened");
        }
        if (i === 0) {
          const all = await store.query({ queryEmbedding: Array.from(query), similarityTopK: 5000 });
          expect(all.ids).toHaveLength(1500);
          expectMatches(all, bruteForce(nodes, query, 1500));
        }
      }
    });
  }

  it("screened, exhaustive, WebAssembly and JavaScript queries return bit-identical results", async () => {
    const nodes = nodesOf(randomVectors(2000, 64, 3));
    const stores = [
      new SimpleVectorStore({ backend: "wasm" }),
      new SimpleVectorStore({ backend: "wasm", screening: false }),
      new SimpleVectorStore({ backend: "js" }),
      new SimpleVectorStore({ backend: "js", screening: false }),
    ];
    for (const store of stores) await store.add(nodes);
    for (const query of randomVectors(10, 64, 4)) {
      const results = await Promise.all(
        stores.map((s) => s.query({ queryEmbedding: query, similarityTopK: 7 })),
      );
      for (const result of results.slice(1)) expect(result).toEqual(results[0]);
    }
    expect(stores[0]!.lastQueryStats!.rescored).toBeLessThan(200);
    expect(stores[1]!.lastQueryStats).toEqual({ strategy: "exact", candidates: 2000, rescored: 2000 });
  });

  it("stays exact on near-duplicate vectors, where the int8 bounds cannot separate rows", async () => {
    const [base] = randomVectors(1, 64, 5);
    const noise = randomVectors(1000, 64, 6);
    const nodes = nodesOf(noise.map((n) => base!.map((b, i) => b + 1e-4 * n[i]!)));
    const screened = new SimpleVectorStore();
    const exhaustive = new SimpleVectorStore({ screening: false });
    await screened.add(nodes);
    await exhaustive.add(nodes);
    const query = base!.map((b, i) => b + 1e-3 * noise[0]![(i * 7) % 64]!);
    const a = await screened.query({ queryEmbedding: query, similarityTopK: 3 });
    expect(a).toEqual(await exhaustive.query({ queryEmbedding: query, similarityTopK: 3 }));
    expect(screened.lastQueryStats!.rescored).toBeGreaterThan(100);
  });

  it("filters by docIds, on both the screened and the exhaustive path", async () => {
    const nodes = nodesOf(randomVectors(3000, 48, 7), 30);
    const store = new SimpleVectorStore();
    await store.add(nodes);
    const [query] = randomVectors(1, 48, 8);
    for (const docIds of [["d1", "d2"], Array.from({ length: 20 }, (_, i) => `d${i}`), ["nope"]]) {
      const wanted = new Set(docIds);
      const subset = nodes.filter((n) => wanted.has(n.refDocId!));
      const result = await store.query({ queryEmbedding: query!, similarityTopK: 4, docIds });
      expectMatches(result, bruteForce(subset, query!, 4));
    }
    await store.query({ queryEmbedding: query!, similarityTopK: 4, docIds: ["d1", "d2"] });
    expect(store.lastQueryStats).toMatchObject({ strategy: "exact", candidates: 200 });
    await store.query({
      queryEmbedding: query!,
      similarityTopK: 4,
      docIds: Array.from({ length: 20 }, (_, i) => `d${i}`),
    });
    expect(store.lastQueryStats).toMatchObject({ strategy: "screened", candidates: 2000 });
  });

  it("deletes every row of a document, compacting, and keeps results and lookups right", async () => {
    const vectors = randomVectors(1200, 40, 9);
    const nodes = nodesOf(vectors, 12);
    const store = new SimpleVectorStore();
    await store.add(nodes);
    const revision = store.revision;
    for (const doc of ["d0", "d5", "d11", "d3"]) await store.delete(doc);
    await store.delete("never-added");
    expect(store.revision).toBeGreaterThan(revision);
    const kept = nodes.filter((n) => !["d0", "d5", "d11", "d3"].includes(n.refDocId!));
    expect(store.size).toBe(kept.length);
    expect(store.has("n0")).toBe(false);
    for (const n of kept.slice(0, 50)) {
      const got = store.get(n.id)!;
      n.embedding!.forEach((v, i) => {
        expect(got[i]).toBeCloseTo(v, 5);
      });
    }
    for (const query of randomVectors(5, 40, 10)) {
      expectMatches(
        await store.query({ queryEmbedding: query, similarityTopK: 5 }),
        bruteForce(kept, query, 5),
      );
    }
    expect(
      (await store.query({ queryEmbedding: vectors[0]!, similarityTopK: 3, docIds: ["d0"] })).ids,
    ).toEqual([]);
  });

  it("grows capacity across many small adds without losing rows", async () => {
    const nodes = nodesOf(randomVectors(700, 33, 11));
    const store = new SimpleVectorStore();
    for (let i = 0; i < nodes.length; i += 3) await store.add(nodes.slice(i, i + 3));
    expect(store.size).toBe(700);
    for (const query of randomVectors(5, 33, 12)) {
      expectMatches(
        await store.query({ queryEmbedding: query, similarityTopK: 3 }),
        bruteForce(nodes, query, 3),
      );
    }
  });

  it("replaces a vector added again under the same id", async () => {
    const store = new SimpleVectorStore();
    await store.add([node("a", [1, 0], "x"), node("b", [0, 1], "x")]);
    await store.add([node("a", [0, -1], "y")]);
    expect(store.size).toBe(2);
    const result = await store.query({ queryEmbedding: [0, -1], similarityTopK: 1 });
    expect(result).toEqual({ ids: ["a"], similarities: [1] });
    await store.delete("x");
    expect(store.has("a")).toBe(true);
    expect(store.has("b")).toBe(false);
  });

  it("uses a node's own id as its document when it has no refDocId", async () => {
    const store = new SimpleVectorStore();
    await store.add([node("doc", [1, 1])]);
    await store.delete("doc");
    expect(store.size).toBe(0);
  });

  it("handles zero vectors without NaN: similarity 0", async () => {
    const store = new SimpleVectorStore();
    await store.add([node("zero", [0, 0, 0]), node("x", [1, 0, 0]), node("y", [-1, 0, 0])]);
    const result = await store.query({ queryEmbedding: [1, 0, 0], similarityTopK: 3 });
    expect(result).toEqual({ ids: ["x", "zero", "y"], similarities: [1, 0, -1] });
    const zeroQuery = await store.query({ queryEmbedding: [0, 0, 0], similarityTopK: 3 });
    expect(zeroQuery.similarities).toEqual([0, 0, 0]);
    expect(Array.from(store.get("zero")!)).toEqual([0, 0, 0]);
  });

  it("rejects a mismatched dimension, naming both sizes, and leaves the store unchanged", async () => {
    const store = new SimpleVectorStore();
    await store.add([node("a", [1, 2, 3])]);
    const error = await store.add([node("b", [1, 2, 3]), node("c", [1, 2])]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/2-dimensional.*3-dimensional/);
    expect(store.size).toBe(1);
    await expect(store.query({ queryEmbedding: [1, 2], similarityTopK: 1 })).rejects.toThrow(
      /2 dimensions.*3-dimensional/,
    );
  });

  it("rejects nodes without an embedding or with non-finite values", async () => {
    const store = new SimpleVectorStore();
    await expect(store.add([new TextNode({ text: "x", id: "x" })])).rejects.toThrow(/no embedding/);
    await expect(store.add([node("a", [1, Number.NaN])])).rejects.toThrow(InvalidArgumentError);
    await expect(store.add([node("a", [1, 1e300])])).rejects.toThrow(/finite/);
    expect(store.size).toBe(0);
  });

  it("requires similarityTopK to be an integer >= 1", async () => {
    const store = new SimpleVectorStore();
    await store.add([node("a", [1, 0])]);
    for (const bad of [0, -1, 1.5, Number.NaN, "2"]) {
      const error = await store
        .query({ queryEmbedding: [1, 0], similarityTopK: bad as number })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe("similarityTopK");
      expect((error as Error).message).toMatch(/integer >= 1/);
    }
  });

  it("round-trips through toBinary / fromBinary, padded dimensions included", async () => {
    const nodes = nodesOf(randomVectors(400, 37, 13));
    const store = new SimpleVectorStore();
    await store.add(nodes);
    const { header, rows } = store.toBinary();
    expect(rows.byteLength).toBe(400 * 37 * 4);
    expect(header).toMatchObject({ formatVersion: 2, dims: 37, count: 400 });
    const copy = await SimpleVectorStore.fromBinary(JSON.parse(JSON.stringify(header)), rows.slice(), {
      backend: "js",
    });
    const [query] = randomVectors(1, 37, 14);
    const expected = await store.query({ queryEmbedding: query!, similarityTopK: 5 });
    expect(await copy.query({ queryEmbedding: query!, similarityTopK: 5 })).toEqual(expected);
    expect(copy.get("n3")).toEqual(store.get("n3"));
  });

  it("fromBinary rejects rows that do not match the header", async () => {
    const store = new SimpleVectorStore();
    await store.add(nodesOf(randomVectors(20, 8, 15)));
    const { header, rows } = store.toBinary();
    await expect(SimpleVectorStore.fromBinary(header, rows.slice(4))).rejects.toThrow(StorageError);
    const scaled = new Float32Array(rows.slice().buffer).map((v) => v * 2);
    await expect(SimpleVectorStore.fromBinary(header, new Uint8Array(scaled.buffer))).rejects.toThrow(
      /unit-length/,
    );
    await expect(SimpleVectorStore.fromBinary({ ...header, ids: ["x"] }, rows)).rejects.toThrow(/ids/);
    await expect(SimpleVectorStore.fromBinary({ ...header, formatVersion: 9 }, rows)).rejects.toThrow(
      /version/,
    );
  });
});
