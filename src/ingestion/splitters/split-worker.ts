/**
 * Worker-thread entry of `splitInWorkers`: a {@link SentenceSplitter} built from `workerData` turns each job's
 * texts into chunk offsets. Only offsets travel back (the main thread already holds the texts), in one
 * transferred buffer per job.
 *
 * @internal
 */
import { parentPort, workerData } from "node:worker_threads";
import { SentenceSplitter } from "./sentence-splitter.js";

/** How the worker's splitter is configured (a plain-data copy of the main thread's). @internal */
export interface SplitWorkerConfig {
  chunkSize: number;
  chunkOverlap: number;
  paragraphSeparator: string;
  separator: string;
  regexSource: string;
  regexFlags: string;
  includeMetadata: boolean;
}

/** One slice of documents to split. @internal */
export interface SplitJob {
  seq: number;
  texts: string[];
  embedMetadata: string[];
  llmMetadata: string[];
}

/**
 * A split slice: `counts[i]` offsets pairs for text `i` in `ranges` (or, below zero, minus one minus the token
 * count of metadata that leaves no room for text), or the error that stopped it. @internal
 */
export type SplitJobResult =
  | { seq: number; ranges: Int32Array; counts: Int32Array }
  | { seq: number; error: string };

const config = workerData as SplitWorkerConfig;
const splitter = new SentenceSplitter({
  chunkSize: config.chunkSize,
  chunkOverlap: config.chunkOverlap,
  paragraphSeparator: config.paragraphSeparator,
  separator: config.separator,
  secondaryChunkingRegex: new RegExp(config.regexSource, config.regexFlags),
  includeMetadata: config.includeMetadata,
});

// Load the tokenizer before taking work, so the main thread splits by itself meanwhile.
splitter.rangesWithMetadata("Ready.", "", "");
parentPort?.postMessage({ ready: true });

parentPort?.on("message", (job: SplitJob) => {
  try {
    const counts = new Int32Array(job.texts.length);
    const all: number[] = [];
    job.texts.forEach((text, i) => {
      const ranges = splitter.rangesWithMetadata(text, job.embedMetadata[i]!, job.llmMetadata[i]!);
      if (typeof ranges === "number") {
        counts[i] = ranges;
        return;
      }
      counts[i] = ranges.length / 2;
      for (const offset of ranges) all.push(offset);
    });
    const ranges = Int32Array.from(all);
    const result: SplitJobResult = { seq: job.seq, ranges, counts };
    parentPort?.postMessage(result, [ranges.buffer, counts.buffer]);
  } catch (error) {
    const result: SplitJobResult = { seq: job.seq, error: String(error) };
    parentPort?.postMessage(result);
  }
});
