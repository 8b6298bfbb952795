import { EventDispatcher } from "../src/instrumentation/events.js";
import { LLMCallObserver } from "../src/instrumentation/llm-call-observer.js";
import { MockLLM } from "../src/llms/mock-llm.js";
import { StreamingResponse } from "../src/streaming/streaming-response.js";
import { type BenchResult, median } from "./bench-support.js";

const DELTAS = 200_000;

function cpuMs(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

async function direct(llm: MockLLM): Promise<number> {
  const t = process.cpuUsage();
  let n = 0;
  for await (const p of await llm.streamComplete("p")) if (p.type === "text-delta") n += p.text.length;
  if (n !== DELTAS) throw new Error(`direct read ${n} chars`);
  return cpuMs(t);
}

async function throughResponse(llm: MockLLM, observed = false): Promise<number> {
  const t = process.cpuUsage();
  const res = new StreamingResponse({
    stream: await llm.streamComplete("p"),
    controller: new AbortController(),
    // What a query engine attaches: the LLM call's instrumentation (nobody listening) and the query-end observer.
    ...(observed ? { hooks: new LLMCallObserver(new EventDispatcher(), "q", "p", true) } : {}),
  });
  if (observed) res.observe({ onEnd: () => undefined });
  let n = 0;
  for await (const d of res.responseGen) n += d.length;
  if (n !== DELTAS) throw new Error(`StreamingResponse read ${n} chars`);
  return cpuMs(t);
}

/** The same answer read as typed parts (`res.parts`), counting its text. */
async function throughParts(llm: MockLLM): Promise<number> {
  const t = process.cpuUsage();
  const res = new StreamingResponse({
    stream: await llm.streamComplete("p"),
    controller: new AbortController(),
  });
  let n = 0;
  for await (const part of res.parts) if (part.type === "text-delta") n += part.text.length;
  if (n !== DELTAS) throw new Error(`parts read ${n} chars`);
  return cpuMs(t);
}

/**
 * Per-delta CPU overhead of StreamingResponse (with its hooks, text accumulation and abort plumbing) versus
 * iterating the same MockLLM stream directly. Runs alternate to share machine noise.
 */
export async function benchStreamingOverhead(reps = 7): Promise<BenchResult[]> {
  const llm = new MockLLM({ response: "x".repeat(DELTAS), chunking: "char", reportUsage: false });
  await direct(llm);
  await throughResponse(llm);
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  const d: number[] = [];
  await throughParts(llm);
  for (let i = 0; i < reps; i++) {
    a.push(await direct(llm));
    b.push(await throughResponse(llm));
    c.push(await throughResponse(llm, true));
    d.push(await throughParts(llm));
  }
  const ratio = median(b) / median(a);
  return [
    { name: "stream: direct MockLLM iteration", value: (median(a) * 1e6) / DELTAS, unit: "ns CPU/delta" },
    { name: "stream: through StreamingResponse", value: (median(b) * 1e6) / DELTAS, unit: "ns CPU/delta" },
    {
      name: "stream: StreamingResponse / direct",
      value: ratio,
      unit: "x CPU",
      notes: `goal <= 1.1x; ${DELTAS} one-char deltas, median of ${reps} alternating runs`,
    },
    {
      name: "stream: through StreamingResponse.parts",
      value: (median(d) * 1e6) / DELTAS,
      unit: "ns CPU/delta",
    },
    {
      name: "stream: parts / direct",
      value: median(d) / median(a),
      unit: "x CPU",
      notes: "the typed parts (sources, text-delta…, finish) over the same one pass",
    },
    {
      name: "stream: StreamingResponse with an engine's observers / direct",
      value: median(c) / median(a),
      unit: "x CPU",
      notes: "instrumentation attached, no event listeners",
    },
  ];
}
