import { TextNode } from "../../src/index.js";
import { mulberry32 } from "../support/prng.js";

/** A seeded PRNG returning uniform numbers in [0, 1). */
export const rng = mulberry32;

/** `count` vectors of `dims` standard-normal values (Box–Muller). */
export function randomVectors(count: number, dims: number, seed: number): Float32Array[] {
  const next = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return Array.from({ length: count }, () => Float32Array.from({ length: dims }, gauss));
}

/** Nodes `n0…` with the given embeddings, `docs` source documents assigned round-robin (`d0…`). */
export function nodesOf(vectors: Float32Array[], docs = 10, prefix = "n"): TextNode[] {
  return vectors.map(
    (embedding, i) =>
      new TextNode({ id: `${prefix}${i}`, text: `text ${i}`, refDocId: `d${i % docs}`, embedding }),
  );
}

/** Exact cosine top-k in float64, best first: the reference the store must match. */
export function bruteForce(
  nodes: TextNode[],
  query: ArrayLike<number>,
  k: number,
): Array<{ id: string; similarity: number }> {
  const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
  const qn = norm(query);
  return nodes
    .map((node) => {
      const e = node.embedding!;
      const en = norm(e);
      let dot = 0;
      for (let i = 0; i < e.length; i++) dot += e[i]! * query[i]!;
      return { id: node.id, similarity: en === 0 || qn === 0 ? 0 : dot / (en * qn) };
    })
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, k);
}

/**
 * Asserts a store result equals the brute-force reference: same similarities (to float32 accuracy) and the same
 * ids, except that ids may swap between near-tied positions.
 */
export function expectMatches(
  result: { ids: string[]; similarities: number[] },
  expected: Array<{ id: string; similarity: number }>,
  tolerance = 1e-5,
): void {
  if (result.ids.length !== expected.length) {
    throw new Error(`expected ${expected.length} results, got ${result.ids.length}`);
  }
  expected.forEach((e, i) => {
    const got = result.similarities[i]!;
    if (!(Math.abs(got - e.similarity) <= tolerance)) {
      throw new Error(`result ${i}: similarity ${got}, expected ${e.similarity} (${e.id})`);
    }
    if (result.ids[i] !== e.id) {
      const tied = expected.some(
        (o) => o.id === result.ids[i] && Math.abs(o.similarity - e.similarity) <= tolerance,
      );
      if (!tied) throw new Error(`result ${i}: id ${result.ids[i]}, expected ${e.id}`);
    }
  });
}
