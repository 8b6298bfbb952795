/**
 * The ANN store at scale: build, top-10 latency, recall@10 against exact search, persisted size and load time.
 *
 *   ANN_N=200000 npx tsx bench/ann.bench.ts    # N random 384-d unit vectors (default below)
 *
 * Goals: top-10 <= 1 ms median at recall@10 >= 0.95; load <= 2 s at 1M. Random unit vectors are the hardest case
 * for HNSW (no cluster structure): recall at a given `expansionSearch` is far lower than on real embeddings, so
 * the figures are reported for several `expansionSearch` values, all on one build (it is a search-time setting).
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { TextNode } from "../src/schema/node.js";
import { AnnVectorStore } from "../src/storage/vector-store/ann/index.js";
import { mulberry32 } from "../test/support/prng.js";
import { type BenchResult, median, round } from "./bench-support.js";

const DIMS = 384;
/** Default N: 1M builds in about 14 min on this 2-core box (see the report), over the ~5 min budget. */
const DEFAULT_N = 200_000;
const CHUNK = 20_000;
const QUERIES = 200;
const RECALL_QUERIES = 100;
const WARMUP = 50;
const K = 10;
const EXPANSIONS = [64, 128, 256, 512];

/** Fills `out` with random unit vectors (normal components, normalised). */
function fillUnit(out: Float32Array, rand: () => number): void {
  for (let base = 0; base < out.length; base += DIMS) {
    let sum = 0;
    for (let j = 0; j < DIMS; j++) {
      const v = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      out[base + j] = v;
      sum += v * v;
    }
    const inv = 1 / Math.sqrt(sum);
    for (let j = 0; j < DIMS; j++) out[base + j]! *= inv;
  }
}

/** Exact top-k keys (row numbers) of every query: one pass over the data, each row scored against all queries. */
function exactTopK(data: Float32Array, n: number, queries: Float32Array, k: number): Int32Array[] {
  const q = queries.length / DIMS;
  const bestScore = Array.from({ length: q }, () => new Float64Array(k).fill(-Infinity));
  const bestRow = Array.from({ length: q }, () => new Int32Array(k).fill(-1));
  for (let r = 0; r < n; r++) {
    const base = r * DIMS;
    for (let i = 0; i < q; i++) {
      const qb = i * DIMS;
      let dot = 0;
      for (let j = 0; j < DIMS; j++) dot += data[base + j]! * queries[qb + j]!;
      const scores = bestScore[i]!;
      if (dot <= scores[k - 1]!) continue;
      const rows = bestRow[i]!;
      let p = k - 1;
      while (p > 0 && scores[p - 1]! < dot) {
        scores[p] = scores[p - 1]!;
        rows[p] = rows[p - 1]!;
        p--;
      }
      scores[p] = dot;
      rows[p] = r;
    }
  }
  return bestRow;
}

/** Builds an N × 384 store, persists it, and measures load, latency and recall for several `expansionSearch`. */
export async function benchAnn(): Promise<BenchResult[]> {
  const n = Number(process.env.ANN_N ?? DEFAULT_N);
  const rand = mulberry32(42);
  const results: BenchResult[] = [];
  const dir = await mkdtemp(join(tmpdir(), "streamdex-ann-bench-"));
  try {
    const data = new Float32Array(n * DIMS);
    const store = new AnnVectorStore({ dimensions: DIMS });
    let buildMs = 0;
    for (let start = 0; start < n; start += CHUNK) {
      const end = Math.min(n, start + CHUNK);
      const chunk = data.subarray(start * DIMS, end * DIMS);
      fillUnit(chunk, rand);
      const nodes = Array.from(
        { length: end - start },
        (_, i) =>
          new TextNode({
            id: `n${start + i}`,
            text: "",
            refDocId: `d${(start + i) % 1000}`,
            embedding: chunk.subarray(i * DIMS, (i + 1) * DIMS),
          }),
      );
      const t = performance.now();
      await store.add(nodes);
      buildMs += performance.now() - t;
      if (process.env.ANN_VERBOSE) console.error(`added ${end} in ${round(buildMs / 1000, 1)} s`);
    }
    results.push({
      name: `ann: build ${n} × ${DIMS} (M=16, expansionAdd=128, f32)`,
      value: round(buildMs / 1000, 1),
      unit: "s",
      notes: `${round(n / (buildMs / 1000), 0)} vectors/s, batches of ${CHUNK}`,
    });

    let t = performance.now();
    await store.persist(dir);
    results.push({ name: "ann: persist", value: round((performance.now() - t) / 1000, 2), unit: "s" });
    const files = await import("node:fs/promises").then((fs) => fs.readdir(dir));
    let bytes = 0;
    for (const f of files) bytes += (await stat(join(dir, f))).size;
    results.push({
      name: "ann: persisted size",
      value: round(bytes / 2 ** 20, 1),
      unit: "MiB",
      notes: files.join(", "),
    });

    for (const mode of ["view", "load"] as const) {
      t = performance.now();
      const loaded = await AnnVectorStore.load(dir, { mode });
      const ms = performance.now() - t;
      t = performance.now();
      await loaded.query({ queryEmbedding: data.subarray(0, DIMS), similarityTopK: K });
      results.push({
        name: `ann: load (${mode === "view" ? "memory-mapped view" : "read into memory"})`,
        value: round(ms / 1000, 3),
        unit: "s",
        notes: `goal <= 2 s at 1M; first query after it ${round(performance.now() - t, 2)} ms (page cache warm)`,
      });
    }

    const queries = new Float32Array(QUERIES * DIMS);
    fillUnit(queries, mulberry32(7));
    t = performance.now();
    const exact = exactTopK(data, n, queries.subarray(0, RECALL_QUERIES * DIMS), K);
    const exactMs = performance.now() - t;
    for (const expansionSearch of EXPANSIONS) {
      const s = await AnnVectorStore.load(dir, { mode: "load", expansionSearch });
      const q = (i: number) => queries.subarray((i % QUERIES) * DIMS, ((i % QUERIES) + 1) * DIMS);
      for (let i = 0; i < WARMUP; i++) await s.query({ queryEmbedding: q(i), similarityTopK: K });
      const times: number[] = [];
      for (let i = 0; i < QUERIES; i++) {
        const start = performance.now();
        await s.query({ queryEmbedding: q(i), similarityTopK: K });
        times.push(performance.now() - start);
      }
      let hits = 0;
      for (let i = 0; i < RECALL_QUERIES; i++) {
        const want = new Set(Array.from(exact[i]!, (r) => `n${r}`));
        const { ids } = await s.query({ queryEmbedding: q(i), similarityTopK: K });
        hits += ids.filter((id) => want.has(id)).length;
      }
      const recall = hits / (RECALL_QUERIES * K);
      results.push({
        name: `ann: top-${K} median latency, expansionSearch=${expansionSearch}`,
        value: round(median(times), 3),
        unit: "ms",
        notes: `p95 ${round(times.sort((a, b) => a - b)[Math.floor(QUERIES * 0.95)]!, 3)} ms; goal <= 1 ms`,
      });
      results.push({
        name: `ann: recall@${K}, expansionSearch=${expansionSearch}`,
        value: round(recall, 3),
        unit: "",
        notes: `${RECALL_QUERIES} random queries vs exact float32 scan (${round(exactMs / 1000, 1)} s); goal >= 0.95`,
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const r of await benchAnn()) {
    console.log(
      `${r.name.padEnd(60)} ${String(r.value).padStart(10)} ${r.unit}${r.notes ? `   (${r.notes})` : ""}`,
    );
  }
}
