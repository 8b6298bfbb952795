/**
 * The project's own benchmarks: `npm run bench`. Each prints a ratio against its baseline or goal; absolute
 * figures are context. Run on an otherwise idle machine; numbers from a loaded 2-core box are noisy.
 *
 *   npm run bench                 # everything
 *   npm run bench -- stream       # only benchmarks whose name contains "stream" (also: vector, llamacpp, huggingface, splitter)
 *   npm run bench -- ann          # the approximate index (minutes: builds a 200k x 384 HNSW index; ANN_N to change)
 */
import { benchAnn } from "./ann.bench.js";
import type { BenchResult } from "./bench-support.js";
import { benchHuggingFace } from "./huggingface.bench.js";
import { benchLlamaCpp } from "./llamacpp.bench.js";
import { benchSplitter } from "./splitter.bench.js";
import { benchStreamingOverhead } from "./streaming-overhead.bench.js";
import { benchVectorStore } from "./vector-store.bench.js";

const only = process.argv[2];
/** Suites that take minutes (building a large approximate index) run only when named: `npm run bench -- ann`. */
const OPT_IN = new Set(["ann"]);
const suites: [string, () => Promise<BenchResult[]>][] = [
  ["ann", () => benchAnn()],
  ["stream", () => benchStreamingOverhead()],
  ["vector", () => benchVectorStore()],
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
