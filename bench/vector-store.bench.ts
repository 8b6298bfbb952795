import { mkdtemp, open, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { TextNode } from "../src/schema/node.js";
import { loadStorageContext, PERSIST_FILES, StorageContext } from "../src/storage/storage-context.js";
import { SimpleVectorStore } from "../src/storage/vector-store/simple-vector-store.js";
import { mulberry32 } from "../test/support/prng.js";
import { type BenchResult, median, round } from "./bench-support.js";

const ROWS = 20_000;
const DIMS = 1536;
const QUERIES = 50;
const WARMUP = 10;

const prng = mulberry32;

/** `count` random unit vectors (normal components via Box–Muller, then normalised). */
function unitVectors(count: number, seed: number): Float32Array[] {
  const rand = prng(seed);
  return Array.from({ length: count }, () => {
    const v = new Float32Array(DIMS);
    let sum = 0;
    for (let i = 0; i < DIMS; i++) {
      v[i] = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      sum += v[i]! * v[i]!;
    }
    const inv = 1 / Math.sqrt(sum);
    for (let i = 0; i < DIMS; i++) v[i]! *= inv;
    return v;
  });
}

async function timeQueries(
  store: SimpleVectorStore,
  queries: Float32Array[],
  warmup: number,
): Promise<number> {
  for (const q of queries.slice(0, warmup)) await store.query({ queryEmbedding: q, similarityTopK: 2 });
  const times: number[] = [];
  for (const q of queries) {
    const start = performance.now();
    await store.query({ queryEmbedding: q, similarityTopK: 2 });
    times.push(performance.now() - start);
  }
  return median(times);
}

/** The naive baseline: one plain JavaScript pass over all rows per query, dot product unrolled ×4. */
function plainJsTop2(rows: Float32Array, query: Float32Array): number[] {
  let best = [-Infinity, -Infinity];
  for (let r = 0, o = 0; r < ROWS; r++, o += DIMS) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < DIMS; i += 4) {
      s0 += rows[o + i]! * query[i]!;
      s1 += rows[o + i + 1]! * query[i + 1]!;
      s2 += rows[o + i + 2]! * query[i + 2]!;
      s3 += rows[o + i + 3]! * query[i + 3]!;
    }
    const s = s0 + s1 + s2 + s3;
    if (s > best[1]!) best = s > best[0]! ? [s, best[0]!] : [best[0]!, s];
  }
  return best;
}

/**
 * Exact top-2 over 20,000 × 1536 random unit vectors (median of 50 queries after warm-up) on each path, then
 * persist and load of that store through {@link StorageContext} (median of 3 runs each) and the file sizes.
 */
export async function benchVectorStore(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const vectors = unitVectors(ROWS, 1);
  const queries = unitVectors(QUERIES, 2);
  const nodes = vectors.map(
    (embedding, i) => new TextNode({ id: `n${i}`, text: "", refDocId: `d${i % 500}`, embedding }),
  );

  // Each add into a fresh store (the last one answers the queries below); the baseline copies the same vectors
  // into fresh memory, which pays the same page faults.
  const addTimes: number[] = [];
  const copyTimes: number[] = [];
  let store = new SimpleVectorStore();
  for (let run = 0; run < 3; run++) {
    store = new SimpleVectorStore();
    let start = performance.now();
    await store.add(nodes);
    addTimes.push(performance.now() - start);
    start = performance.now();
    const copy = new Float32Array(ROWS * DIMS);
    for (const [i, v] of vectors.entries()) copy.set(v, i * DIMS);
    copyTimes.push(performance.now() - start);
  }
  results.push({
    name: "vector store: add 20k × 1536",
    value: round(median(addTimes), 1),
    unit: "ms",
    notes: `median of 3 into fresh stores (first ${round(addTimes[0]!, 1)} ms); normalise + int8-quantize every row, one batch`,
  });
  results.push({
    name: "vector store: add / copy of the same vectors into fresh memory",
    value: round(median(addTimes) / median(copyTimes), 2),
    unit: "x",
    notes: `copy baseline ${round(median(copyTimes), 1)} ms`,
  });

  let rescored = 0;
  for (const q of queries) {
    await store.query({ queryEmbedding: q, similarityTopK: 2 });
    rescored += store.lastQueryStats?.rescored ?? 0;
  }
  results.push({
    name: "vector store: exact top-2, 20k × 1536 (int8 screen + exact rescore)",
    value: round(await timeQueries(store, queries, WARMUP)),
    unit: "ms",
    notes: `median of ${QUERIES}, ${store.backend} backend, ${round(rescored / QUERIES, 1)} rows rescored per query`,
  });

  const exhaustive = await SimpleVectorStore.fromBinary(store.toBinary().header, store.toBinary().rows, {
    screening: false,
  });
  let identical = true;
  for (const q of queries) {
    const a = await store.query({ queryEmbedding: q, similarityTopK: 2 });
    const b = await exhaustive.query({ queryEmbedding: q, similarityTopK: 2 });
    identical &&= JSON.stringify(a) === JSON.stringify(b);
  }
  results.push({
    name: "vector store: exact top-2, 20k × 1536 (exhaustive f32x4 scan)",
    value: round(await timeQueries(exhaustive, queries, WARMUP)),
    unit: "ms",
    notes: `median of ${QUERIES}, wasm SIMD, 120 MB read per query; results identical to the screened path: ${identical}`,
  });

  const js = await SimpleVectorStore.fromBinary(store.toBinary().header, store.toBinary().rows, {
    backend: "js",
  });
  results.push({
    name: "vector store: exact top-2, 20k × 1536 (JS fallback, screened)",
    value: round(await timeQueries(js, queries.slice(0, 20), 3)),
    unit: "ms",
    notes: "median of 20, no WebAssembly",
  });

  const rows = new Float32Array(ROWS * DIMS);
  for (const [i, v] of vectors.entries()) rows.set(v, i * DIMS);
  const baseline: number[] = [];
  for (const [i, q] of queries.slice(0, 13).entries()) {
    const start = performance.now();
    plainJsTop2(rows, q);
    if (i >= 3) baseline.push(performance.now() - start);
  }
  results.push({
    name: "vector store: top-2 baseline, plain JS loop ×4",
    value: round(median(baseline)),
    unit: "ms",
    notes: "median of 10, for comparison only",
  });

  const context = new StorageContext({ vectorStore: store });
  const dir = await mkdtemp(join(tmpdir(), "streamdex-bench-"));
  try {
    const persistTimes: number[] = [];
    const loadTimes: number[] = [];
    for (let run = 0; run < 3; run++) {
      let start = performance.now();
      await context.persist(dir);
      persistTimes.push(performance.now() - start);
      start = performance.now();
      const loaded = await loadStorageContext(dir);
      loadTimes.push(performance.now() - start);
      if ((loaded.vectorStore as SimpleVectorStore).size !== ROWS) throw new Error("load lost rows");
    }
    // Baseline: the same vector bytes written (with fsync) and read back as one raw file.
    const rawBytes = new Uint8Array((await stat(join(dir, PERSIST_FILES.vectors))).size);
    const rawWrite: number[] = [];
    const rawRead: number[] = [];
    for (let run = 0; run < 3; run++) {
      let start = performance.now();
      const fh = await open(join(dir, "raw-baseline.bin"), "w");
      await fh.writeFile(rawBytes);
      await fh.sync();
      await fh.close();
      rawWrite.push(performance.now() - start);
      start = performance.now();
      await readFile(join(dir, "raw-baseline.bin"));
      rawRead.push(performance.now() - start);
    }
    results.push({
      name: "storage context: persist / raw write+fsync of the vector bytes",
      value: round(median(persistTimes) / median(rawWrite), 2),
      unit: "x",
      notes: `raw baseline ${round(median(rawWrite), 1)} ms`,
    });
    results.push({
      name: "storage context: load / raw read of the vector bytes",
      value: round(median(loadTimes) / median(rawRead), 2),
      unit: "x",
      notes: `raw baseline ${round(median(rawRead), 1)} ms`,
    });
    results.push({
      name: "storage context: persist 20k × 1536",
      value: round(median(persistTimes), 1),
      unit: "ms",
      notes: "median of 3; temp files + fsync + rename + manifest",
    });
    results.push({
      name: "storage context: load 20k × 1536",
      value: round(median(loadTimes), 1),
      unit: "ms",
      notes: "median of 3 (page cache warm); read into WebAssembly memory, CRC-32 check, re-quantize",
    });
    for (const file of [
      PERSIST_FILES.vectors,
      PERSIST_FILES.vectorStore,
      PERSIST_FILES.docStore,
      PERSIST_FILES.manifest,
    ]) {
      results.push({
        name: `storage context: ${file} size`,
        ...(file === PERSIST_FILES.docStore ? { notes: "no nodes in the docstore in this benchmark" } : {}),
        value: round((await stat(join(dir, file))).size / 1024, 1),
        unit: "KiB",
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchVectorStore()) {
    console.log(`${r.name}: ${r.value} ${r.unit}${r.notes === undefined ? "" : ` (${r.notes})`}`);
  }
}
