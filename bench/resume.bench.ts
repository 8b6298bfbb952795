/**
 * Resumable answers through a real server (bench/resume-server-process.ts, a process of its own over a MockLLM
 * answering 200 words, one per 10 ms, after 3 sources of 150 words):
 * - 500 concurrent streams read to their end: errors, and the server's event-loop delay;
 * - 500 concurrent streams each dropped after 20 events and resumed with `Last-Event-ID`: every answer whole;
 * - the replay buffer's memory with 500 answers held for resume (their clients gone after 5 events): the server's
 *   heap with them held, running then ended, against before them; and the bytes their buffers count.
 *
 *   npx tsx bench/run.ts resume
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import { eventBytes } from "../src/server/resume/replay-buffer.js";
import type { BenchResult } from "./bench-support.js";

const STREAMS = 500;
const WORDS = 200;
const CHUNK_DELAY_MS = 10;
const ANSWER = Array.from({ length: WORDS }, (_, i) => `w${i}`).join(" ");

interface Report {
  eld: { p50: number; p99: number; max: number };
  heapUsed: number;
  finished: number;
}

/** The server process, and a way to send it a command and read its one-line reply. */
async function startServerProcess(): Promise<{
  url: string;
  ask(command: string): Promise<Report>;
  stop(): void;
}> {
  const config = JSON.stringify({ words: WORDS, chunkDelayMs: CHUNK_DELAY_MS, sourceWords: 150 });
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", "bench/resume-server-process.ts", config],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines: Interface = createInterface({ input: child.stdout! });
  const pending: ((line: string) => void)[] = [];
  lines.on("line", (line) => pending.shift()?.(line));
  const next = () => new Promise<string>((resolve) => pending.push(resolve));
  const { port } = JSON.parse(await next()) as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    ask: async (command) => {
      const reply = next();
      child.stdin!.write(`${command}\n`);
      return JSON.parse(await reply) as Report;
    },
    stop: () => child.stdin!.end(),
  };
}

/** Reads an SSE body: the text of its `delta` events, the last event id, and its last event's name. */
async function read(
  res: Response,
  stopAfter = Number.POSITIVE_INFINITY,
  controller?: AbortController,
): Promise<{ text: string; lastId: number; last: string; bytes: number; events: number }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let text = "";
  let lastId = 0;
  let last = "";
  let bytes = 0;
  let events = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end !== -1) {
      const block = buffer.slice(0, end + 2);
      buffer = buffer.slice(end + 2);
      bytes += eventBytes(block);
      events++;
      lastId = Number(/^id: (\d+)$/m.exec(block)![1]);
      last = /^event: (.*)$/m.exec(block)![1]!;
      if (last === "delta") text += (JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as { text: string }).text;
      if (events >= stopAfter) {
        controller?.abort();
        await reader.cancel().catch(() => {});
        return { text, lastId, last, bytes, events };
      }
      end = buffer.indexOf("\n\n");
    }
  }
  return { text, lastId, last, bytes, events };
}

const post = (url: string, signal?: AbortSignal) =>
  fetch(`${url}/api/query`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "q" }),
    signal,
  });

/** Runs `STREAMS` clients at once; counts those that failed or got a wrong answer. */
async function concurrently(run: (i: number) => Promise<boolean>): Promise<{ errors: number; ms: number }> {
  const t0 = performance.now();
  const results = await Promise.allSettled(Array.from({ length: STREAMS }, (_, i) => run(i)));
  const errors = results.filter((r) => r.status === "rejected" || r.value !== true).length;
  return { errors, ms: performance.now() - t0 };
}

export async function benchResume(): Promise<BenchResult[]> {
  const server = await startServerProcess();
  const { url } = server;
  const results: BenchResult[] = [];
  try {
    // Warm up.
    await concurrently(async () => (await read(await post(url))).text === ANSWER);

    // 1. 500 concurrent streams, read to their end.
    await server.ask("reset");
    const whole = await concurrently(async () => {
      const res = await post(url);
      return res.status === 200 && (await read(res)).text === ANSWER;
    });
    const eld1 = (await server.ask("report")).eld;
    const ideal = WORDS * CHUNK_DELAY_MS;
    results.push(
      {
        name: `resume: ${STREAMS} concurrent streams, errors`,
        value: whole.errors,
        unit: "",
        notes: "goal 0",
      },
      {
        name: `resume: ${STREAMS} concurrent streams, wall time`,
        value: Math.round(whole.ms),
        unit: "ms",
        notes: `one answer alone takes >= ${ideal} ms (${WORDS} deltas, ${CHUNK_DELAY_MS} ms apart)`,
      },
      {
        name: "resume: server event-loop delay during them, p50 / p99 / max",
        value: eld1.p99,
        unit: "ms p99",
        notes: `p50 ${eld1.p50} ms, max ${eld1.max} ms; server in its own process`,
      },
    );

    // 2. The same, each connection dropped after 20 events and resumed from its last event id.
    await server.ask("reset");
    const resumed = await concurrently(async () => {
      const controller = new AbortController();
      const res = await post(url, controller.signal);
      const answerId = res.headers.get("x-answer-id")!;
      const first = await read(res, 20, controller);
      const rest = await read(
        await fetch(`${url}/api/answers/${answerId}`, { headers: { "last-event-id": String(first.lastId) } }),
      );
      return first.text + rest.text === ANSWER && rest.last === "done";
    });
    const eld2 = (await server.ask("report")).eld;
    results.push(
      {
        name: `resume: ${STREAMS} concurrent streams dropped and resumed, errors`,
        value: resumed.errors,
        unit: "",
        notes: "goal 0; an error is also a text not equal to the answer",
      },
      {
        name: "resume: server event-loop delay during them, p99",
        value: eld2.p99,
        unit: "ms p99",
        notes: `p50 ${eld2.p50} ms, max ${eld2.max} ms; wall ${Math.round(resumed.ms)} ms`,
      },
    );

    // 3. Memory: 500 answers held for resume (clients gone after 5 events).
    // (The 1000 answers above are still held, for the server's replayTtlMs: the baseline counts them.)
    const baseline = await server.ask("report");
    const before = baseline.finished;
    const ids = await Promise.all(
      Array.from({ length: STREAMS }, async () => {
        const controller = new AbortController();
        const res = await post(url, controller.signal);
        await read(res, 5, controller);
        return res.headers.get("x-answer-id")!;
      }),
    );
    const running = await server.ask("report");
    let held = running;
    for (let i = 0; i < 200 && held.finished < before + STREAMS; i++) {
      await new Promise((r) => setTimeout(r, 100));
      held = await server.ask("report");
    }
    if (held.finished < before + STREAMS) throw new Error(`only ${held.finished - before} answers ended`);
    // Every held answer is whole; the bytes its buffer counts are its events' own.
    let bytes = 0;
    let whole3 = 0;
    for (const id of ids) {
      const r = await read(await fetch(`${url}/api/answers/${id}`));
      bytes += r.bytes;
      if (r.text === ANSWER && r.last === "done") whole3++;
    }
    held = await server.ask("report");
    await server.ask("release");
    const released = await server.ask("report");
    const heldBytes = held.heapUsed - baseline.heapUsed;
    const perAnswer = heldBytes / STREAMS;
    results.push(
      {
        name: `resume: heap of ${STREAMS} ended answers held for resume, per answer`,
        value: Math.round(perAnswer / 1024),
        unit: "KiB",
        notes: `${Math.round(heldBytes / 1024 / 1024)} MiB in all; ${whole3}/${STREAMS} replayed whole; all 1500 released: ${Math.round((held.heapUsed - released.heapUsed) / 1024 / 1024)} MiB freed`,
      },
      {
        name: "resume: replay bytes counted per answer (events as sent + 32 B each)",
        value: Math.round(bytes / STREAMS / 1024),
        unit: "KiB",
        notes: `${Math.round(bytes / 1024 / 1024)} MiB for ${STREAMS}; default caps 2 MiB per answer, 64 MiB in all`,
      },
      {
        name: "resume: heap / counted bytes",
        value: heldBytes / bytes,
        unit: "x",
        notes: "the caps' accuracy as a memory bound",
      },
      {
        name: `resume: heap of ${STREAMS} answers running detached, per answer`,
        value: Math.round((running.heapUsed - baseline.heapUsed) / STREAMS / 1024),
        unit: "KiB",
        notes: "5 events in: buffer, engine, model stream and timers of each",
      },
    );
  } finally {
    server.stop();
  }
  return results;
}
