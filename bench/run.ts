/**
 * The project's own benchmarks: `npm run bench`. Each prints a ratio against its baseline or goal; absolute
 * figures are context. Run on an otherwise idle machine; numbers from a loaded 2-core box are noisy.
 *
 *   npm run bench                 # everything
 *   npm run bench -- stream       # only benchmarks whose name contains "stream" (also: citation, vector, ingest, openai, resume, llamacpp, huggingface, splitter)
 *   npm run bench -- ann          # the approximate index at 1M x 384 (opt-in: see below)
 *   npm run bench -- pgvector     # PgVectorStore on PGlite over the socket at 100k x 384 (opt-in, minutes): bulk load
 *                                 # (PGV_N), recall@10 and latency (PGVECTOR_RECALL_N), keyword search
 *
 * `ann` is not part of a plain `npm run bench`: its first run builds a 1M x 384 HNSW index (about 3-5 minutes on
 * 2 cores, plus data generation and an exact scan for the ground truth) and a 100k uniform-random one, and caches
 * both under bench/.cache/ (gitignored); later runs load them and take about a minute. ANN_N and ANN_UNIFORM_N
 * change the sizes, ANN_REBUILD=1 ignores the cache. See bench/ann.bench.ts.
 */
import { benchAnn } from "./ann.bench.js";
import type { BenchResult } from "./bench-support.js";
import { benchCitationParser } from "./citation-parser.bench.js";
import { benchHuggingFace } from "./huggingface.bench.js";
import { benchIngest } from "./ingest.bench.js";
import { benchLlamaCpp } from "./llamacpp.bench.js";
import { benchOpenAICompat } from "./openai-compat.bench.js";
import { benchPgKeyword } from "./pg-keyword.bench.js";
import { benchPgvectorLoad } from "./pgvector-load.bench.js";
import { benchPgvectorRecall } from "./pgvector-recall.bench.js";
import { benchResume } from "./resume.bench.js";
import { benchSplitter } from "./splitter.bench.js";
import { benchStreamingOverhead } from "./streaming-overhead.bench.js";
import { benchVectorStore } from "./vector-store.bench.js";

const only = process.argv[2];
/**
 * Suites that take minutes run only when named: `npm run bench -- ann` (building a 1M approximate index),
 * `npm run bench -- pgvector` (100k × 384 loads and queries in pgvector on PGlite over the socket).
 */
const OPT_IN = new Set(["ann", "pgvector-load", "pgvector-recall", "pgvector-keyword"]);
const suites: [string, () => Promise<BenchResult[]>][] = [
  ["ann", () => benchAnn()],
  ["pgvector-load", () => benchPgvectorLoad()],
  ["pgvector-recall", () => benchPgvectorRecall()],
  ["stream", () => benchStreamingOverhead()],
  ["citation", () => benchCitationParser()],
  ["vector", () => benchVectorStore()],
  ["pgvector-keyword", () => benchPgKeyword()],
  ["ingest", () => benchIngest()],
  ["openai", () => benchOpenAICompat()],
  ["resume", () => benchResume()],
  ["llamacpp", () => benchLlamaCpp()],
  ["huggingface", () => benchHuggingFace()],
  [
    "splitter",
    async () => {
      const r = await benchSplitter();
      return [
        { name: r.name, value: r.mbPerSec, unit: "MB/s", notes: r.notes },
        {
          name: "splitter: throughput / goal (30 MB/s)",
          value: r.mbPerSec / 30,
          unit: "x",
          notes: "goal >= 1",
        },
      ];
    },
  ],
];

for (const [name, run] of suites) {
  if (only ? !name.includes(only) : OPT_IN.has(name)) continue;
  console.log(`\n== ${name}`);
  for (const r of await run()) {
    const value = Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(r.value < 10 ? 3 : 1);
    console.log(`  ${r.name.padEnd(72)} ${value.padStart(10)} ${r.unit}${r.notes ? `   (${r.notes})` : ""}`);
  }
}
