/**
 * Synthetic vectors for the ANN benchmark: an embedding-like distribution (the headline) and uniformly random unit
 * vectors (the worst case), generated deterministically from a seed in chunks.
 *
 * Why not uniform random vectors for the headline: i.i.d. Gaussian 384-d vectors have no structure at all: every
 * point is at nearly the same distance from every other (pairwise cosine ≈ 0 ± 0.05, the nearest of a million
 * only ≈ 0.25), so a greedy graph walk has no gradient to follow and HNSW recall collapses. Text embeddings are
 * nothing like that: they concentrate near a low-dimensional set (local intrinsic dimension ≈ 10–20 on the
 * ann-benchmarks text sets, against 384 nominal), are anisotropic (a few directions carry most of the variance),
 * and form topic clusters, so a query's nearest neighbours are clearly closer than a random document.
 *
 * The embedding-like model (every parameter below is in {@link EMBEDDING_LIKE}, which keys the bench cache):
 * - A random `rank`-dimensional "topic space" inside the 384 dimensions, with a decaying spectrum (axis `i` has
 *   scale `(i + 1)^-spectrumDecay`): anisotropy and low intrinsic dimension.
 * - `clusters` topic centres drawn from that space (Gaussian coordinates × the spectrum), each normalised.
 * - A point (a "chunk") = its main topic's centre (topics are Zipf-distributed: some topics are far more common)
 *   + `mixTopics` other random topics with weights uniform in [0, `mixWeight`] (a chunk touches secondary topics)
 *   + isotropic noise of norm ≈ `noise` spread over all 384 dimensions (what the low-rank model misses);
 *   then L2-normalised, like sentence-embedding outputs.
 * - Queries are fresh draws from the same distribution (another seed), not copies of stored vectors.
 * The bench prints the resulting statistics (random-pair cosine, exact top-1 / top-10 cosine, relative contrast)
 * so the difficulty can be compared with real embeddings, and keeps a uniform-random row as the worst case.
 */
import { mulberry32 } from "../test/support/prng.js";

/** The dimensions of every benchmark vector (all-MiniLM-L6-v2, bge-small and e5-small size). */
export const DIMS = 384;

/** Parameters of the embedding-like generator (see the file header). */
export interface EmbeddingLikeParams {
  kind: "embedding-like";
  seed: number;
  rank: number;
  spectrumDecay: number;
  clusters: number;
  zipf: number;
  mixTopics: number;
  mixWeight: number;
  noise: number;
}

/** Uniformly random unit vectors (normal components, normalised): HNSW's worst case. */
export interface UniformParams {
  kind: "uniform";
  seed: number;
}

/** Which distribution to draw from. */
export type DataParams = EmbeddingLikeParams | UniformParams;

/** The headline distribution. */
export const EMBEDDING_LIKE: EmbeddingLikeParams = {
  kind: "embedding-like",
  seed: 42,
  rank: 64,
  spectrumDecay: 0.5,
  clusters: 4096,
  zipf: 0.8,
  mixTopics: 3,
  mixWeight: 0.4,
  noise: 0.5,
};

/** The worst-case reference distribution. */
export const UNIFORM: UniformParams = { kind: "uniform", seed: 42 };

/** A generator of vectors from one distribution: `fill` writes the next rows (a stream: call it repeatedly). */
export interface VectorSource {
  fill(out: Float32Array): void;
}

/** A source of data vectors (`stream: "data"`) or of queries (`stream: "queries"`, an independent seed). */
export function vectorSource(params: DataParams, stream: "data" | "queries"): VectorSource {
  const rand = mulberry32(params.seed * 2 + (stream === "data" ? 0 : 1));
  return params.kind === "uniform" ? uniformSource(rand) : embeddingLikeSource(params, rand);
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function normaliseRows(out: Float32Array): void {
  for (let base = 0; base < out.length; base += DIMS) {
    let sum = 0;
    for (let j = 0; j < DIMS; j++) sum += out[base + j]! * out[base + j]!;
    const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let j = 0; j < DIMS; j++) out[base + j]! *= inv;
  }
}

function uniformSource(rand: () => number): VectorSource {
  return {
    fill(out) {
      for (let i = 0; i < out.length; i++) out[i] = gaussian(rand);
      normaliseRows(out);
    },
  };
}

/** The topic centres: shared by the data and query streams (they depend on the params' seed only). */
function topicCentres(p: EmbeddingLikeParams): Float32Array {
  const rand = mulberry32(p.seed * 7919 + 13);
  const basis = new Float32Array(p.rank * DIMS);
  for (let i = 0; i < basis.length; i++) basis[i] = gaussian(rand) / Math.sqrt(DIMS);
  const centres = new Float32Array(p.clusters * DIMS);
  const coords = new Float32Array(p.rank);
  for (let c = 0; c < p.clusters; c++) {
    for (let i = 0; i < p.rank; i++) coords[i] = gaussian(rand) * (i + 1) ** -p.spectrumDecay;
    const row = c * DIMS;
    for (let i = 0; i < p.rank; i++) {
      const w = coords[i]!;
      const b = i * DIMS;
      for (let j = 0; j < DIMS; j++) centres[row + j]! += w * basis[b + j]!;
    }
  }
  normaliseRows(centres);
  return centres;
}

/** Zipf(`s`) over `n` items: the cumulative weights, for sampling by binary search. */
function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) cdf[i] = total += (i + 1) ** -s;
  for (let i = 0; i < n; i++) cdf[i]! /= total;
  return cdf;
}

function sample(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const centreCache = new Map<string, Float32Array>();

function embeddingLikeSource(p: EmbeddingLikeParams, rand: () => number): VectorSource {
  const key = JSON.stringify(p);
  const topics = centreCache.get(key) ?? topicCentres(p);
  centreCache.set(key, topics);
  const cdf = zipfCdf(p.clusters, p.zipf);
  // Uniform noise in [-a, a] per component has variance a²/3: a = noise × √3 / √DIMS gives a norm of ≈ `noise`.
  const amplitude = (p.noise * Math.sqrt(3)) / Math.sqrt(DIMS);
  return {
    fill(out) {
      for (let base = 0; base < out.length; base += DIMS) {
        const main = sample(cdf, rand()) * DIMS;
        for (let j = 0; j < DIMS; j++) out[base + j] = topics[main + j]! + amplitude * (2 * rand() - 1);
        for (let t = 0; t < p.mixTopics; t++) {
          const other = Math.floor(rand() * p.clusters) * DIMS;
          const w = rand() * p.mixWeight;
          for (let j = 0; j < DIMS; j++) out[base + j]! += w * topics[other + j]!;
        }
      }
      normaliseRows(out);
    },
  };
}
