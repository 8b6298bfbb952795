import { describe, expect, it } from "vitest";
import { InvalidArgumentError, SimpleVectorStore, TextNode } from "../../src/index.js";
import { squaredNorm } from "../../src/storage/vector-store/vector-input.js";
import { nodesOf, randomVectors } from "./random-vectors.js";

const BACKENDS = ["wasm", "js"] as const;

/** A node whose embedding is `embedding` itself (the constructor would copy it), as embedders assign it. */
const nodeWith = (id: string, embedding: Float32Array | number[], refDocId?: string) => {
  const node = new TextNode({ id, text: id, refDocId, metadata: { id } });
  node.embedding = embedding as Float32Array;
  return node;
};

/** `count` embeddings as views on one slab, as the OpenAI decoder returns a batch. */
function slabViews(count: number, dims: number, seed: number): Float32Array[] {
  const slab = new Float32Array(count * dims);
  for (const [i, v] of randomVectors(count, dims, seed).entries()) slab.set(v, i * dims);
  return Array.from({ length: count }, (_, i) => slab.subarray(i * dims, (i + 1) * dims));
}

/** Everything persisted about a store, with the rows copied (`toBinary` may return a view of its memory). */
const snapshot = (store: SimpleVectorStore) => {
  const { header, rows } = store.toBinary();
  return { header, rows: Array.from(new Float32Array(rows.slice().buffer)) };
};

/** The row `add` must store for a vector: each value / ‖v‖ in float64, rounded to float32 (zeros for 0). */
const expectedRow = (v: Float32Array) => {
  const norm = Math.sqrt(squaredNorm(v));
  return Array.from(v, (x) => (norm > 0 ? Math.fround(x / norm) : 0));
};

describe("SimpleVectorStore.add", () => {
  it("stores every row and norm exactly, on both backends alike, across upserts, duplicates and growth", async () => {
    const dims = 37; // padded to 64
    const stores = BACKENDS.map((backend) => new SimpleVectorStore({ backend }));
    const first = slabViews(20, dims, 1).map((v, i) => nodeWith(`n${i}`, v, `d${i % 4}`));
    const batch = slabViews(110, dims, 2).map((v, i) =>
      // 0-9 replace stored ids, 10-99 are new (past the first capacity), 100-109 repeat ids 40-49 of this batch
      nodeWith(i < 10 ? `n${i * 2}` : i < 100 ? `m${i}` : `m${i - 60}`, v, `e${i % 5}`),
    );
    batch[11]!.embedding = new Float32Array(dims); // zero
    batch[12]!.embedding = new Float32Array(dims).fill(-0);
    batch[3]!.embedding = new Float32Array(dims); // a stored row replaced by zero
    batch[104]!.embedding = new Float32Array(dims); // a repeated id: the later (zero) vector wins
    for (const store of stores) {
      await store.add(first);
      expect(await store.add(batch)).toEqual(batch.map((n) => n.id));
    }
    const [wasm, js] = stores.map(snapshot);
    expect(wasm).toEqual(js);
    expect(stores[0]!.size).toBe(20 + 90);

    const latest = new Map<string, TextNode>();
    for (const node of [...first, ...batch]) latest.set(node.id, node);
    const { header, rows } = wasm!;
    header.ids.forEach((id, r) => {
      const node = latest.get(id)!;
      expect(rows.slice(r * dims, (r + 1) * dims)).toEqual(expectedRow(node.embedding!));
      expect(header.norms[r]).toBe(Math.sqrt(squaredNorm(node.embedding!)));
      expect(header.refDocIds[r]).toBe(node.refDocId);
      expect(header.metadata![r]).toEqual({ id });
    });
    expect(header.ids).toEqual([...latest.keys()]);

    for (const query of randomVectors(4, dims, 3)) {
      const [a, b] = await Promise.all(
        stores.map((s) => s.query({ queryEmbedding: query, similarityTopK: 5 })),
      );
      expect(a).toEqual(b);
      expect(stores[0]!.lastQueryStats).toEqual(stores[1]!.lastQueryStats);
    }
    // Replaced rows moved to their new documents: deleting the old one keeps them (d0 held only replaced ids).
    await stores[0]!.delete("d0");
    expect(stores[0]!.size).toBe(110);
    await stores[0]!.delete("d1");
    expect(stores[0]!.size).toBe(105);
    expect(stores[0]!.has("n1")).toBe(false);
    expect(stores[0]!.has("n0")).toBe(true);
  });

  it("keeps its own copy of slab views: changing the slab after add changes nothing", async () => {
    const views = slabViews(50, 64, 4);
    const store = new SimpleVectorStore();
    await store.add(views.map((v, i) => nodeWith(`n${i}`, v)));
    const before = snapshot(store);
    new Float32Array(views[0]!.buffer).fill(1);
    expect(snapshot(store)).toEqual(before);
  });

  for (const backend of BACKENDS) {
    it(`[${backend}] rejects NaN and Infinity anywhere in a batch with the first bad node's error, changing nothing`, async () => {
      const dims = 48;
      const store = new SimpleVectorStore({ backend });
      await store.add(nodesOf(randomVectors(30, dims, 5)));
      const before = snapshot(store);
      const revision = store.revision;
      const [query] = randomVectors(1, dims, 6);
      const answer = await store.query({ queryEmbedding: query!, similarityTopK: 3 });

      const batch = (bad: Record<number, number>, ids?: (i: number) => string) =>
        slabViews(40, dims, 7).map((v, i) => {
          const embedding = v.slice();
          if (bad[i] !== undefined) embedding[(i * 7) % dims] = bad[i]!;
          return nodeWith(ids?.(i) ?? `new${i}`, embedding);
        });
      const cases: Array<[TextNode[], RegExp]> = [
        [batch({ 25: Number.NaN }), /embedding of node "new25": element 31 is number NaN/],
        [batch({ 39: Number.POSITIVE_INFINITY }), /node "new39": element \d+ is number Infinity/],
        [batch({ 5: Number.NEGATIVE_INFINITY, 3: Number.NaN }), /node "new3"/],
        // a node replacing a stored row
        [batch({ 2: Number.NaN }, (i) => (i === 2 ? "n7" : `new${i}`)), /node "n7"/],
        // a node whose id a later node of the batch repeats (only the later vector would be kept)
        [batch({ 4: Number.NaN }, (i) => (i === 30 ? "new4" : `new${i}`)), /node "new4"/],
      ];
      // the first error in node order, whatever its kind
      const wrongDims = batch({ 6: Number.NaN });
      wrongDims[20]!.embedding = new Float32Array(dims + 1);
      cases.push([wrongDims, /node "new6".*NaN/]);
      const plain = batch({});
      plain[9]!.embedding = [...plain[9]!.embedding!].map((x, j) => (j === 3 ? 1e300 : x)) as never;
      cases.push([plain, /node "new9".*finite/]);

      for (const [nodes, message] of cases) {
        const error = await store.add(nodes).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as Error).message).toMatch(message);
        expect(store.size).toBe(30);
        expect(store.revision).toBe(revision);
        expect(snapshot(store)).toEqual(before);
        expect(store.has("new0")).toBe(false);
        expect(await store.query({ queryEmbedding: query!, similarityTopK: 3 })).toEqual(answer);
      }
      // The store still takes a valid batch after the failures, including the rows they had written into.
      await store.add(batch({}));
      expect(store.size).toBe(70);
    });
  }

  it("a failed first add fixes no dimension: the next add may use another one", async () => {
    const store = new SimpleVectorStore();
    await expect(store.add([nodeWith("a", [1, 0, 0]), nodeWith("b", [0, Number.NaN, 0])])).rejects.toThrow(
      /node "b".*NaN/,
    );
    expect(store.dimensions).toBeUndefined();
    await store.add([nodeWith("c", [3, 4])]);
    expect(store.dimensions).toBe(2);
    expect(Array.from(store.get("c")!)).toEqual([3, 4]);
  });

  it("rejects a batch whose dimensions differ from the first node's, naming both, before writing", async () => {
    const store = new SimpleVectorStore();
    const nodes = slabViews(5, 8, 8).map((v, i) => nodeWith(`n${i}`, v));
    nodes[3]!.embedding = new Float32Array(9);
    await expect(store.add(nodes)).rejects.toThrow(/node "n3" has a 9-dimensional.*8-dimensional/);
    expect(store.size).toBe(0);
    expect(store.dimensions).toBeUndefined();
  });
});
