// `progress` events on /api/query's SSE stream while a multi-call mode makes its earlier calls: the stream starts
// once the first earlier call has succeeded, before query() resolves; a failure of the first call stays a status.
import { chromium } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CompletionResponse,
  type LLMCallOptions,
  MockLLM,
  type MockLLMOptions,
  RateLimitError,
} from "../../src/index.js";
import { startServer } from "../../src/server/index.js";
import { nodes } from "../support/fixtures.js";
import { parseSSE } from "../support/sse.js";
import { CHROMIUM, CHROMIUM_ARGS, checkChromium, requireChromium } from "./chromium.js";
import { engineFactory, postJson, Servers } from "./support.js";

const chromiumCheck = checkChromium();
/** A browser test: skipped (saying why) without Chromium, failed on CI without it. */
const browserIt = chromiumCheck.kind === "skip" ? it.skip : it;
const skipped = chromiumCheck.kind === "skip" ? ` (skipped: ${chromiumCheck.reason})` : "";

/** A {@link MockLLM} whose non-streamed calls can be held until the test releases them. */
class GatedLLM extends MockLLM {
  private completes = 0;
  readonly held = new Map<number, { release: () => void; promise: Promise<void> }>();
  /** Non-streamed calls that were aborted while held. */
  readonly abortedHeld: number[] = [];

  constructor(options: MockLLMOptions, hold: number[] = []) {
    super(options);
    for (const i of hold) {
      let release!: () => void;
      const promise = new Promise<void>((resolve) => {
        release = resolve;
      });
      this.held.set(i, { release, promise });
    }
  }

  protected override async doComplete(prompt: string, options: LLMCallOptions): Promise<CompletionResponse> {
    const i = this.completes++;
    const gate = this.held.get(i);
    if (gate) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.abortedHeld.push(i);
          reject(options.signal!.reason);
        };
        if (options.signal?.aborted) return onAbort();
        options.signal?.addEventListener("abort", onAbort, { once: true });
        void gate.promise.then(() => {
          options.signal?.removeEventListener("abort", onAbort);
          resolve();
        });
      });
    }
    return super.doComplete(prompt, options);
  }
}

const servers = new Servers();
afterEach(() => servers.closeAll());

async function serve(
  llm: MockLLM,
  options: { maxConcurrentStreams?: number; logger?: (l: string) => void; resumeWindowMs?: number } = {},
) {
  const server = await startServer({ ...engineFactory(llm, nodes(4)), ...options });
  servers.track({ server });
  return server.url;
}

/** `progress step/total phase` for progress events, else the event's name. */
const shape = (events: [string, unknown][]) =>
  events.map(([e, d]) => {
    if (e !== "progress") return e;
    const p = d as { step: number; total: number; phase: string; final: boolean; level: number | null };
    return `progress ${p.level === null ? "" : `L${p.level} `}${p.step}/${p.total} ${p.phase}${p.final ? " final" : ""}`;
  });

/** Reads an SSE body until `until` holds for the text so far; returns the reader to go on with. */
async function readUntil(res: Response, until: (text: string) => boolean) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!until(text)) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return { reader, text };
}

describe("progress on /api/query", () => {
  it("refine over 3 chunks: progress events, then sources, the deltas and done", async () => {
    const url = await serve(new MockLLM({ response: "ok" }));
    const res = await postJson(`${url}/api/query`, { query: "q", mode: "refine", topK: 3 });
    expect(res.status).toBe(200);
    const events = parseSSE(await res.text());
    expect(shape(events)).toEqual([
      "answer",
      "progress 1/3 start",
      "progress 1/3 end",
      "progress 2/3 start",
      "progress 2/3 end",
      "progress 3/3 start final",
      "sources",
      "delta",
      "usage",
      "done",
    ]);
    expect(events[1]![1]).toEqual({
      mode: "refine",
      step: 1,
      total: 3,
      level: null,
      done: 0,
      phase: "start",
      final: false,
    });
  });

  it("tree_summarize reports its level", async () => {
    // The default window packs everything into one prompt: a single call, so no progress.
    const url = await serve(new MockLLM({ response: "ok" }));
    const single = parseSSE(
      await (await postJson(`${url}/api/query`, { query: "q", mode: "tree_summarize" })).text(),
    );
    expect(shape(single).slice(0, 2)).toEqual(["answer", "sources"]);
    const small = new MockLLM({ response: "ok", metadata: { contextWindow: 60, numOutput: 10 } });
    const url2 = await serve(small);
    const events = parseSSE(
      await (await postJson(`${url2}/api/query`, { query: "q", mode: "tree_summarize", topK: 4 })).text(),
    );
    const progress = shape(events).filter((e) => e.startsWith("progress"));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((e) => /^progress L\d /.test(e))).toBe(true);
    expect(progress.at(-1)).toMatch(/^progress L[2-9] 1\/1 start final$/);
    expect(shape(events)).toEqual(["answer", ...progress, "sources", "delta", "usage", "done"]);
  });

  it("the stream starts while an earlier call still runs, before query() resolves", async () => {
    const llm = new GatedLLM({ response: "ok" }, [1]);
    const url = await serve(llm);
    const res = await postJson(`${url}/api/query`, { query: "q", mode: "refine", topK: 3 });
    expect(res.status).toBe(200); // headers arrived while call 2 of 3 is held
    const { reader, text } = await readUntil(res, (t) => t.includes('"step":2'));
    expect(shape(parseSSE(text))).toEqual([
      "answer",
      "progress 1/3 start",
      "progress 1/3 end",
      "progress 2/3 start",
    ]);
    expect(llm.calls).toHaveLength(1); // call 2 is held before it reaches the model
    llm.held.get(1)!.release();
    let rest = "";
    const decoder = new TextDecoder();
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += decoder.decode(r.value);
    expect(shape(parseSSE(rest))).toEqual([
      "progress 2/3 end",
      "progress 3/3 start final",
      "sources",
      "delta",
      "usage",
      "done",
    ]);
  });

  it("a single-call mode answers as before: no progress event", async () => {
    const url = await serve(new MockLLM({ response: "ok" }));
    const events = parseSSE(await (await postJson(`${url}/api/query`, { query: "q", topK: 3 })).text());
    expect(shape(events)).toEqual(["answer", "sources", "delta", "usage", "done"]);
  });

  it("the first call failing is still an HTTP error status", async () => {
    const error = new RateLimitError("Rate limited by mock.", { provider: "mock", status: 429 });
    const url = await serve(
      new MockLLM({ response: "ok", failOnStart: (i) => (i === 0 ? error : undefined) }),
    );
    const res = await postJson(`${url}/api/query`, { query: "q", mode: "refine", topK: 3 });
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(error.code);
  });

  it("a later earlier call failing is an error event after the progress", async () => {
    const error = new RateLimitError("Rate limited by mock.", { provider: "mock", status: 429 });
    const lines: string[] = [];
    const url = await serve(
      new MockLLM({ response: "ok", failOnStart: (i) => (i === 1 ? error : undefined) }),
      {
        logger: (l) => lines.push(l),
      },
    );
    const res = await postJson(`${url}/api/query`, { query: "q", mode: "refine", topK: 3 });
    expect(res.status).toBe(200);
    const events = parseSSE(await res.text());
    expect(shape(events)).toEqual([
      "answer",
      "progress 1/3 start",
      "progress 1/3 end",
      "progress 2/3 start",
      "error",
    ]);
    expect(events[4]![1]).toMatchObject({ code: error.code, message: error.message, partialText: "" });
    expect(lines.some((l) => l.includes(`stream error ${error.code}`))).toBe(true);
  });

  it("concurrent requests each get only their own progress", async () => {
    const llm = new MockLLM({ response: "ok" });
    const url = await serve(llm);
    const [a, b] = await Promise.all(
      [2, 4].map(async (topK) =>
        shape(
          parseSSE(await (await postJson(`${url}/api/query`, { query: "q", mode: "refine", topK })).text()),
        ),
      ),
    );
    expect(a!.filter((e) => e.startsWith("progress"))).toEqual([
      "progress 1/2 start",
      "progress 1/2 end",
      "progress 2/2 start final",
    ]);
    expect(b!.filter((e) => e.startsWith("progress"))).toHaveLength(7);
    expect(b!.every((e) => !e.startsWith("progress") || e.includes("/4"))).toBe(true);
  });

  it("the client leaving during an earlier call aborts it and frees the slot", async () => {
    const llm = new GatedLLM({ response: "ok" }, [1]);
    const lines: string[] = [];
    // The old behaviour, kept by `resumeWindowMs: 0`: a client that disconnects aborts its answer at once (the default
    // keeps it running for a resume: test/server/resume.test.ts).
    const url = await serve(llm, {
      maxConcurrentStreams: 1,
      logger: (l) => lines.push(l),
      resumeWindowMs: 0,
    });
    const client = new AbortController();
    const res = await postJson(
      `${url}/api/query`,
      { query: "q", mode: "refine", topK: 3 },
      { signal: client.signal },
    );
    await readUntil(res, (t) => t.includes('"step":2'));
    client.abort();
    await expect.poll(() => llm.abortedHeld).toEqual([1]);
    await expect.poll(() => lines.some((l) => l.includes("stream cancelled"))).toBe(true);
    expect(llm.calls.some((c) => c.streamed)).toBe(false);
    // The slot is free again.
    const next = await postJson(`${url}/api/query`, { query: "q", topK: 1 });
    expect(next.status).toBe(200);
    await next.text();
  });
});

describe("progress on the web page", () => {
  browserIt(
    `shows "Refining 2/3…" in the status line while call 2 of 3 runs, then the answer (screenshot in /tmp)${skipped}`,
    async () => {
      requireChromium(chromiumCheck);
      const llm = new GatedLLM({ response: "The keeper lit the lamp." }, [1]);
      const server = await startServer({
        createEngine: engineFactory(llm, nodes(4)).createEngine,
        defaultMode: "refine",
        defaultTopK: 3,
      });
      servers.track({ server });
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      try {
        const page = await browser.newPage();
        const pageErrors: string[] = [];
        page.on("pageerror", (e) => pageErrors.push(e.message));
        page.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));
        await page.goto(server.url);
        await page.getByLabel("Question").fill("Who lit the lamp?");
        await page.getByRole("button", { name: "Ask" }).click();
        await page.waitForFunction(() => document.getElementById("status")!.textContent === "Refining 2/3…");
        expect(await page.locator("#answer").textContent()).toBe("");
        await page.screenshot({ path: "/tmp/streamdex-progress-page.png" });
        llm.held.get(1)!.release();
        await page.waitForFunction(
          () => document.getElementById("answer")!.getAttribute("data-state") === "done",
        );
        expect(await page.locator("#answer").textContent()).toBe("The keeper lit the lamp.");
        expect(await page.getByRole("status").textContent()).toMatch(/^Done · \d+ tokens\.$/);
        expect(pageErrors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});
