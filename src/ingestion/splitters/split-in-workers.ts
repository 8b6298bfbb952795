import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { MetadataMode, type TextNode } from "../../schema/node.js";
import { throwIfAborted } from "../../utils/abort.js";
import { metadataTooLong, type SentenceSplitter } from "./sentence-splitter.js";
import type { SplitJob, SplitJobResult, SplitWorkerConfig } from "./split-worker.js";

/** Documents per job sent to a worker. */
const SLICE_DOCS = 48;
/** Jobs a worker holds at once (one running, one waiting), so it never idles between messages. */
const JOBS_PER_WORKER = 2;
/** Below this much text (UTF-16 code units) one thread splits faster than workers can start. */
const MIN_PARALLEL_CHARS = 1 << 20;
/** Most workers started by default. */
const MAX_DEFAULT_WORKERS = 4;
/**
 * Fewest cores for workers by default: one core stays with the calling thread (it builds nodes, encodes requests,
 * decodes answers, stores vectors) and one with everything else (an embedding server on the same machine, GC).
 * Measured on 2 cores with the embedding server local, a worker did not shorten ingestion (`npm run bench --
 * ingest`): it only competed for the same cores.
 */
const MIN_CORES_FOR_WORKERS = 4;

/**
 * How many split workers to use for `documents`: `requested` when given (0 = none), else, on machines of at least
 * 4 cores, one per core beyond two (at most 4) when the text is large enough to pay for starting them (1 MiB). Only
 * when the splitter counts with the default tokenizer (which a worker can load itself). @internal
 */
export function splitWorkerCount(
  splitter: SentenceSplitter,
  documents: readonly TextNode[],
  requested: number | undefined,
  cores: number = availableParallelism(),
): number {
  if (!splitter.usesDefaultTokenizer) return 0;
  if (requested !== undefined) return requested;
  if (cores < MIN_CORES_FOR_WORKERS) return 0;
  let chars = 0;
  for (const doc of documents) {
    chars += doc.text.length;
    if (chars >= MIN_PARALLEL_CHARS) return Math.min(cores - 2, MAX_DEFAULT_WORKERS);
  }
  return 0;
}

/**
 * Splits `documents` with `splitter` on `workers` worker threads and yields their nodes in document order, one
 * slice of documents at a time, as soon as each slice (and every one before it) is done: the nodes are exactly
 * what `splitter.getNodesFromDocuments(documents)` returns. Workers receive the texts and send back only chunk
 * offsets; the nodes are built here. While the workers start, and for any slice a failed worker leaves behind,
 * this thread splits by itself, so a worker that cannot start (e.g. a bundler dropped its file) costs nothing but
 * speed. Every worker is terminated when the generator ends, however it ends.
 *
 * @internal
 */
export async function* splitInWorkers(
  splitter: SentenceSplitter,
  documents: readonly TextNode[],
  workers: number,
  signal?: AbortSignal,
): AsyncGenerator<TextNode[]> {
  const slices = Math.ceil(documents.length / SLICE_DOCS);
  const done = new Map<number, TextNode[]>();
  /** Slices nobody has taken yet, in order; a failed worker's slices go back to the front. */
  const pending: number[] = Array.from({ length: slices }, (_, i) => i);
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  const pool: PoolWorker[] = [];
  const sliceOf = (seq: number): readonly TextNode[] =>
    documents.slice(seq * SLICE_DOCS, (seq + 1) * SLICE_DOCS);

  const assign = (w: PoolWorker): void => {
    while (w.alive && w.ready && w.jobs.size < JOBS_PER_WORKER && pending.length > 0) {
      const seq = pending.shift()!;
      w.jobs.add(seq);
      w.worker.postMessage(jobFor(seq, sliceOf(seq)));
    }
  };
  /** Stops a failed worker; its unfinished slices go back to `pending` (kept in order) for anyone to take. */
  const retire = (w: PoolWorker): void => {
    if (!w.alive) return;
    w.alive = false;
    pending.push(...w.jobs);
    pending.sort((a, b) => a - b);
    w.jobs.clear();
    void w.worker.terminate();
    for (const other of pool) assign(other);
    notify();
  };
  let failure: unknown;

  const config = workerConfig(splitter);
  for (let i = 0; i < workers; i++) {
    const w: PoolWorker = { worker: startWorker(config), jobs: new Set(), ready: false, alive: true };
    w.worker.on("message", (result: SplitJobResult | { ready: true }) => {
      if ("ready" in result) {
        w.ready = true;
        assign(w);
        return;
      }
      if ("error" in result) {
        // The slice is split elsewhere instead: a real problem with the input then surfaces as its usual error.
        retire(w);
        return;
      }
      w.jobs.delete(result.seq);
      try {
        done.set(result.seq, nodesOf(splitter, sliceOf(result.seq), result));
      } catch (error) {
        failure = error;
      }
      assign(w);
      notify();
    });
    w.worker.on("error", () => retire(w));
    w.worker.on("exit", () => retire(w));
    pool.push(w);
  }

  signal?.addEventListener("abort", notify);
  try {
    for (let next = 0; next < slices; next++) {
      for (;;) {
        throwIfAborted(signal);
        if (failure !== undefined) throw failure;
        const nodes = done.get(next);
        if (nodes) {
          done.delete(next);
          yield nodes;
          break;
        }
        if (pending[0] === next) {
          // Nobody has it (workers still starting, or one failed): split it here, then let the event loop run so
          // that workers' messages (e.g. "ready") and the caller's I/O are not held up. (`pending` is sorted and
          // holds every slice not done, not in a worker and not split here yet, so `next` can only be first.)
          pending.shift();
          yield splitter.getNodesFromDocuments(sliceOf(next) as TextNode[]);
          await new Promise<void>((resolve) => setImmediate(resolve));
          break;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    }
  } finally {
    signal?.removeEventListener("abort", notify);
    for (const w of pool) {
      w.alive = false;
      void w.worker.terminate();
    }
  }
}

interface PoolWorker {
  worker: Worker;
  jobs: Set<number>;
  ready: boolean;
  alive: boolean;
}

function jobFor(seq: number, docs: readonly TextNode[]): SplitJob {
  return {
    seq,
    texts: docs.map((d) => d.text),
    embedMetadata: docs.map((d) => d.getMetadataStr(MetadataMode.EMBED)),
    llmMetadata: docs.map((d) => d.getMetadataStr(MetadataMode.LLM)),
  };
}

function nodesOf(
  splitter: SentenceSplitter,
  docs: readonly TextNode[],
  result: { ranges: Int32Array; counts: Int32Array },
): TextNode[] {
  const nodes: TextNode[] = [];
  let offset = 0;
  docs.forEach((doc, i) => {
    const count = result.counts[i]!;
    if (count < 0) throw metadataTooLong(doc.id, -1 - count, splitter.chunkSize);
    splitter.nodesFromRanges(doc, result.ranges.subarray(offset, offset + 2 * count), nodes);
    offset += 2 * count;
  });
  return nodes;
}

function workerConfig(splitter: SentenceSplitter): SplitWorkerConfig {
  return {
    chunkSize: splitter.chunkSize,
    chunkOverlap: splitter.chunkOverlap,
    paragraphSeparator: splitter.paragraphSeparator,
    separator: splitter.separator,
    regexSource: splitter.secondaryChunkingRegex.source,
    regexFlags: splitter.secondaryChunkingRegex.flags,
    includeMetadata: splitter.includeMetadata,
  };
}

/**
 * Starts a split worker. From the built package that is `split-worker.js` beside this file; when streamdex runs
 * from its TypeScript sources (its own tests), the worker first registers `tsx` so it can load the `.ts` file.
 */
function startWorker(config: SplitWorkerConfig): Worker {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) {
    return new Worker(new URL("./split-worker.js", here), { workerData: config });
  }
  // Development only: the repository's own tsx (a dev dependency) compiles the worker's TypeScript.
  const entry = new URL("./split-worker.ts", here).href;
  const tsx = new URL("../../../node_modules/tsx/dist/esm/api/index.mjs", here).href;
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData: config });
}
