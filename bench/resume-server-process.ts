/**
 * A streamdex server over a MockLLM in a process of its own, for the resume benchmark: the event-loop delay and the
 * heap it reports are the server's alone. Argument: JSON `{ words, chunkDelayMs, sourceWords }`. Prints
 * `{"port":N}` once listening, then answers one JSON line per command line on stdin:
 * - `reset`: starts a new event-loop delay histogram;
 * - `report`: `{ eld: { p50, p99, max } (ms), heapUsed, finished }` (heap after a full GC; `finished`: model calls
 *   that ran to their end);
 * - `release`: aborts the server's `signal`: every held answer is dropped (then `report` again).
 * Stops on stdin end.
 *
 *   npx tsx bench/resume-server-process.ts '{"words":200,"chunkDelayMs":10,"sourceWords":150}'
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { RetrieverQueryEngine } from "../src/engines/retriever-query-engine.js";
import { MockLLM } from "../src/llms/mock-llm.js";
import { startServer } from "../src/server/index.js";
import { getResponseSynthesizer } from "../src/synthesizers/get-response-synthesizer.js";
import { FixedRetriever, nodes } from "../test/support/fixtures.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const { words, chunkDelayMs, sourceWords } = JSON.parse(process.argv[2] ?? "{}") as {
  words: number;
  chunkDelayMs: number;
  sourceWords: number;
};
const response = Array.from({ length: words }, (_, i) => `w${i}`).join(" ");
const llm = new MockLLM({ response, chunkDelayMs });
const retrieved = nodes(3, sourceWords);
const shutdown = new AbortController();
const server = await startServer({
  createEngine: ({ streaming }) =>
    new RetrieverQueryEngine({
      retriever: new FixedRetriever(retrieved),
      responseSynthesizer: getResponseSynthesizer({ streaming, llm }),
    }),
  maxConcurrentStreams: 2000,
  replayTtlMs: 600_000,
  signal: shutdown.signal,
});
let finished = 0;
let eld = monitorEventLoopDelay({ resolution: 5 });
eld.enable();

process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
const lines = createInterface({ input: process.stdin });
lines.on("line", (command) => {
  if (command === "reset") {
    eld.disable();
    eld = monitorEventLoopDelay({ resolution: 5 });
    eld.enable();
    process.stdout.write("{}\n");
  } else if (command === "release") {
    shutdown.abort();
    process.stdout.write("{}\n");
  } else if (command === "report") {
    // The MockLLM keeps a record of every call (its prompt): drop those of ended calls, they are not the server's.
    const over = llm.calls.filter((c) => c.finished || c.aborted);
    finished += over.filter((c) => c.finished).length;
    llm.calls.splice(0, llm.calls.length, ...llm.calls.filter((c) => !over.includes(c)));
    for (let i = 0; i < 3; i++) gc();
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const report = {
      eld: { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max) },
      heapUsed: process.memoryUsage().heapUsed,
      finished,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
});
lines.on("close", () => {
  void server.close().then(() => process.exit(0));
});
