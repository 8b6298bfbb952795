/**
 * Builds (or takes from the cache) a persisted AnnVectorStore of N synthetic vectors, with the exact top-10 of
 * the benchmark queries as ground truth. Builds at 1M take minutes, so each one is kept under `bench/.cache/`
 * (gitignored), keyed by everything that determines it: the generator's parameters, N, the index settings, the
 * query count and the store's format version. Delete the folder to rebuild (`ANN_REBUILD=1` does it per run).
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { TextNode } from "../src/schema/node.js";
import { ANN_FORMAT_VERSION } from "../src/storage/vector-store/ann/ann-files.js";
import { AnnVectorStore, type AnnVectorStoreOptions } from "../src/storage/vector-store/ann/index.js";
import { type DataParams, DIMS, vectorSource } from "./ann-data.js";

/** Where built stores are kept between runs. */
export const CACHE_DIR = fileURLToPath(new URL("./.cache/", import.meta.url));
const CHUNK = 20_000;
const K = 10;

/** Index settings of a benchmark build. */
export type BuildSettings = Required<
  Pick<AnnVectorStoreOptions, "connectivity" | "expansionAdd" | "quantization">
>;

/** What a build measured, and the ground truth; kept beside the store as `bench.json`. */
export interface BuildRecord {
  n: number;
  buildSeconds: number;
  persistSeconds: number;
  exactSeconds: number;
  builtAt: string;
  /** Per query: the rows of the exact top-10 by float32 dot product (the vectors are unit length), best first. */
  truth: number[][];
  /** Per query: the exact top-1 and top-10 cosine. */
  top1: number[];
  top10: number[];
  /** Mean and standard deviation of the cosine of 2,000 random pairs of stored vectors. */
  pairMean: number;
  pairStd: number;
}

/** A persisted store ready to load, with its record; `cached` says whether it was built in an earlier run. */
export interface BuiltStore {
  dir: string;
  record: BuildRecord;
  cached: boolean;
  /** Bytes per file of the persisted store. */
  files: Record<string, number>;
}

/** The queries of a benchmark: fresh draws from the data's distribution. */
export function queriesOf(params: DataParams, count: number): Float32Array {
  const queries = new Float32Array(count * DIMS);
  vectorSource(params, "queries").fill(queries);
  return queries;
}

/** The store of `n` vectors from `params` built with `settings`: from the cache, or built, persisted and cached. */
export async function builtStore(
  params: DataParams,
  n: number,
  settings: BuildSettings,
  queryCount: number,
  log: (line: string) => void,
): Promise<BuiltStore> {
  const key = JSON.stringify({ params, n, settings, queryCount, format: ANN_FORMAT_VERSION, v: 1 });
  const name = `${params.kind}-${n}-${createHash("sha256").update(key).digest("hex").slice(0, 12)}`;
  const dir = join(CACHE_DIR, name);
  const recordPath = join(dir, "bench.json");
  if (process.env.ANN_REBUILD) await rm(dir, { recursive: true, force: true });
  const cachedRecord = await readFile(recordPath, "utf8").then(
    (text) => JSON.parse(text) as BuildRecord,
    () => undefined,
  );
  if (cachedRecord !== undefined) return { dir, record: cachedRecord, cached: true, files: await sizes(dir) };

  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  log(`building ${n} × ${DIMS} ${params.kind} vectors into ${dir} (cached for later runs)…`);
  const data = new Float32Array(n * DIMS);
  const source = vectorSource(params, "data");
  const store = new AnnVectorStore({ dimensions: DIMS, ...settings });
  let buildMs = 0;
  for (let start = 0; start < n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK);
    const chunk = data.subarray(start * DIMS, end * DIMS);
    source.fill(chunk);
    const nodes = Array.from({ length: end - start }, (_, i) => {
      // Eight chunks per document, with the metadata a directory reader gives every chunk of a file.
      const doc = Math.floor((start + i) / 8);
      return new TextNode({
        id: `n${start + i}`,
        text: "",
        refDocId: `d${doc}`,
        metadata: {
          file_path: `/data/docs/${doc % 100}/doc-${doc}.md`,
          file_name: `doc-${doc}.md`,
          file_type: "text/markdown",
          file_size: 4096 + (doc % 5000),
          last_modified_date: new Date(1.7e12 + doc * 1000).toISOString(),
        },
        embedding: chunk.subarray(i * DIMS, (i + 1) * DIMS),
      });
    });
    const t = performance.now();
    await store.add(nodes);
    buildMs += performance.now() - t;
    if (end % 100_000 === 0 || end === n) {
      log(`  added ${end} in ${(buildMs / 1000).toFixed(1)} s (${Math.round(end / (buildMs / 1000))}/s)`);
    }
  }
  let t = performance.now();
  await store.persist(dir);
  const persistSeconds = (performance.now() - t) / 1000;

  const queries = queriesOf(params, queryCount);
  t = performance.now();
  const exact = exactTop(data, queries);
  const exactSeconds = (performance.now() - t) / 1000;
  const record: BuildRecord = {
    n,
    buildSeconds: buildMs / 1000,
    persistSeconds,
    exactSeconds,
    builtAt: new Date().toISOString(),
    ...exact,
    ...pairCosines(data, n),
  };
  await writeFile(recordPath, JSON.stringify(record));
  return { dir, record, cached: false, files: await sizes(dir) };
}

async function sizes(dir: string): Promise<Record<string, number>> {
  const files: Record<string, number> = {};
  for (const name of await readdir(dir)) {
    if (name !== "bench.json") files[name] = (await stat(join(dir, name))).size;
  }
  return files;
}

interface ExactSearch {
  keys: BigUint64Array;
  distances: Float32Array;
}
type ExactSearchFn = (
  data: Float32Array,
  queries: Float32Array,
  dims: number,
  k: number,
  metric: string,
  threads: number,
) => ExactSearch;

/**
 * Exact top-10 of every query by brute force. usearch's `exactSearch` (a SIMD scan over every row, no graph, inner
 * product, float32 in and float64 sums) does the bulk; the first queries are checked against a plain JavaScript
 * scan, so the reference does not rest on the library under test.
 */
function exactTop(data: Float32Array, queries: Float32Array): Pick<BuildRecord, "truth" | "top1" | "top10"> {
  const { exactSearch } = createRequire(import.meta.url)("usearch") as { exactSearch: ExactSearchFn };
  const q = queries.length / DIMS;
  const r = exactSearch(data, queries, DIMS, K, "ip", 0);
  const truth = Array.from({ length: q }, (_, i) => Array.from(r.keys.subarray(i * K, (i + 1) * K), Number));
  for (let i = 0; i < Math.min(3, q); i++) {
    const js = jsTop(data, queries.subarray(i * DIMS, (i + 1) * DIMS));
    const same = js.filter((row) => truth[i]!.includes(row)).length;
    if (same < K - 1) throw new Error(`exactSearch and the JavaScript scan disagree on query ${i}`);
  }
  return {
    truth,
    top1: Array.from({ length: q }, (_, i) => 1 - r.distances[i * K]!),
    top10: Array.from({ length: q }, (_, i) => 1 - r.distances[i * K + K - 1]!),
  };
}

function jsTop(data: Float32Array, query: Float32Array): number[] {
  const best: { row: number; dot: number }[] = [];
  for (let row = 0; row < data.length / DIMS; row++) {
    let dot = 0;
    const base = row * DIMS;
    for (let j = 0; j < DIMS; j++) dot += data[base + j]! * query[j]!;
    if (best.length === K && dot <= best[K - 1]!.dot) continue;
    best.push({ row, dot });
    best.sort((a, b) => b.dot - a.dot);
    if (best.length > K) best.pop();
  }
  return best.map((b) => b.row);
}

function pairCosines(data: Float32Array, n: number): Pick<BuildRecord, "pairMean" | "pairStd"> {
  let sum = 0;
  let sumSq = 0;
  const pairs = 2000;
  for (let i = 0; i < pairs; i++) {
    const a = ((i * 7919) % n) * DIMS;
    const b = ((i * 104_729 + 1) % n) * DIMS;
    let dot = 0;
    for (let j = 0; j < DIMS; j++) dot += data[a + j]! * data[b + j]!;
    sum += dot;
    sumSq += dot * dot;
  }
  const pairMean = sum / pairs;
  return { pairMean, pairStd: Math.sqrt(sumSq / pairs - pairMean ** 2) };
}
