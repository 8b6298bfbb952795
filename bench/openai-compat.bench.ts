/**
 * Overhead of the OpenAI-compatible endpoint: time to first token and server CPU per 1k tokens through
 * `POST /v1/chat/completions` (stream, include_usage) against `POST /api/query` (streamdex's SSE), on the same
 * MockLLM-backed engine in a server process of its own (bench/openai-compat-server.ts; its CPU is read before and
 * after each batch). Batches of the two alternate to share machine noise. Goal: at most 1.1x on both.
 *
 *   npm run bench -- openai      (or: npx tsx bench/run.ts openai)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { type BenchResult, median, round } from "./bench-support.js";

/** Tokens (one model chunk each) of every answer. */
const WORDS = 1000;
const ROUNDS = 20;
const PER_BATCH = 20;
const WARMUP = 30;

type Route = "api" | "openai";

const REQUESTS: Record<Route, { path: string; body: string; marker: string }> = {
  api: {
    path: "/api/query",
    body: JSON.stringify({ query: "What did the keeper do at night?" }),
    marker: "event: delta",
  },
  openai: {
    path: "/v1/chat/completions",
    body: JSON.stringify({
      model: "streamdex",
      messages: [{ role: "user", content: "What did the keeper do at night?" }],
      stream: true,
      stream_options: { include_usage: true },
    }),
    // The first content delta (the role chunk's `content` is "").
    marker: '"delta":{"content":"',
  },
};

/** One streamed answer: ms from the request to the first content delta; checks that the stream ended. */
async function timeToFirstToken(base: string, route: Route): Promise<number> {
  const { path, body, marker } = REQUESTS[route];
  const t0 = performance.now();
  const res = await fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let ttft: number | undefined;
  let tail = "";
  let text = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    const chunk = decoder.decode(r.value, { stream: true });
    if (ttft === undefined) {
      text += chunk;
      if (text.includes(marker)) ttft = performance.now() - t0;
    }
    tail = (tail + chunk).slice(-1024);
  }
  const ended = route === "api" ? tail.includes("event: done") : tail.endsWith("data: [DONE]\n\n");
  if (ttft === undefined || !ended) throw new Error(`${route}: the stream did not complete`);
  return ttft;
}

async function serverCpuUs(base: string): Promise<number> {
  return ((await (await fetch(`${base}/__cpu`)).json()) as { us: number }).us;
}

async function startServer(): Promise<{ base: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/openai-compat-server.ts", String(WORDS)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
  return { base: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`, child };
}

export async function benchOpenAICompat(): Promise<BenchResult[]> {
  const { base, child } = await startServer();
  try {
    for (let i = 0; i < WARMUP; i++) {
      await timeToFirstToken(base, "api");
      await timeToFirstToken(base, "openai");
    }
    const ttft: Record<Route, number[]> = { api: [], openai: [] };
    const cpuPer1k: Record<Route, number[]> = { api: [], openai: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order: Route[] = round % 2 === 0 ? ["api", "openai"] : ["openai", "api"];
      for (const route of order) {
        const before = await serverCpuUs(base);
        for (let i = 0; i < PER_BATCH; i++) ttft[route].push(await timeToFirstToken(base, route));
        const us = (await serverCpuUs(base)) - before;
        cpuPer1k[route].push(us / 1000 / PER_BATCH / (WORDS / 1000));
      }
    }
    const notes = `${WORDS}-token answers (one chunk per token), ${ROUNDS} alternating batches of ${PER_BATCH}`;
    const ttftRatio = median(ttft.openai) / median(ttft.api);
    const cpuRatio = median(cpuPer1k.openai) / median(cpuPer1k.api);
    return [
      { name: "openai: TTFT /api/query", value: round(median(ttft.api)), unit: "ms", notes: "median" },
      { name: "openai: TTFT /v1/chat/completions", value: round(median(ttft.openai)), unit: "ms" },
      {
        name: "openai: TTFT /v1/chat/completions / /api/query",
        value: ttftRatio,
        unit: "x",
        notes: "goal <= 1.1x",
      },
      {
        name: "openai: server CPU per 1k tokens, /api/query",
        value: round(median(cpuPer1k.api)),
        unit: "ms",
        notes,
      },
      {
        name: "openai: server CPU per 1k tokens, /v1/chat/completions",
        value: round(median(cpuPer1k.openai)),
        unit: "ms",
      },
      {
        name: "openai: server CPU /v1/chat/completions / /api/query",
        value: cpuRatio,
        unit: "x",
        notes: "goal <= 1.1x",
      },
    ];
  } finally {
    child.stdin!.end();
    await once(child, "exit");
  }
}
