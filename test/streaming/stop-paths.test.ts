import { getEventListeners } from "node:events";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import {
  AbortError,
  getResponseSynthesizer,
  MockLLM,
  type MockLLMOptions,
  PromptHelper,
  PromptTemplate,
  type ResponseMode,
  RetrieverQueryEngine,
  Settings,
  type StreamdexEvent,
  StreamInterruptedError,
} from "../../src/index.js";
import { defaultTokenizer } from "../../src/utils/tokenizer.js";
import { collect, FixedRetriever, nodes, settle } from "../support/fixtures.js";

function engine(opts: MockLLMOptions, responseMode: ResponseMode = "compact", n = 2) {
  const llm = new MockLLM(opts);
  const e = new RetrieverQueryEngine({
    retriever: new FixedRetriever(nodes(n)),
    responseSynthesizer: getResponseSynthesizer({ streaming: true, llm, responseMode }),
  });
  return { llm, engine: e };
}

const offs: (() => void)[] = [];
afterEach(() => {
  while (offs.length) offs.pop()!();
});
function record(): StreamdexEvent[] {
  const events: StreamdexEvent[] = [];
  for (const t of ["llm-start", "llm-end", "llm-error", "llm-cancel"] as const) {
    offs.push(Settings.events.on(t, (e) => events.push(e)));
  }
  return events;
}

describe("every way a stream stops aborts what it started", () => {
  it("accumulate: an error mid-stream aborts the prefetched calls and reports each call's end", async () => {
    const events = record();
    const { llm, engine: e } = engine(
      {
        response: "a b c",
        chunkDelayMs: 5,
        failAfterChunks: 1,
        firstChunkDelayMs: (i) => (i === 0 ? 0 : 60_000),
      },
      "accumulate",
      3,
    );
    const res = await e.query("q");
    await expect(collect(res)).rejects.toBeInstanceOf(StreamInterruptedError);
    await settle();
    expect(llm.calls).toHaveLength(3);
    expect(llm.calls.slice(1).every((c) => c.aborted)).toBe(true);
    expect(events.filter((x) => x.type === "llm-error")).toHaveLength(1);
    expect(events.filter((x) => x.type === "llm-cancel")).toHaveLength(2);
  });

  it("accumulate: a refusal of any first-wave call rejects query() and aborts the others", async () => {
    const refused = new Error("401 on call 1");
    const { llm, engine: e } = engine(
      { acceptDelayMs: 5, failOnStart: (i) => (i === 1 ? refused : undefined), chunkDelayMs: 60_000 },
      "accumulate",
      3,
    );
    await expect(e.query("q")).rejects.toBe(refused);
    expect(llm.calls.filter((c) => c.index !== 1).every((c) => c.aborted)).toBe(true);
  });

  it("cancelling an SSE stream while a read is pending aborts the provider at once", async () => {
    const { llm, engine: e } = engine({ response: "a b", chunkDelayMs: 60_000 });
    const reader = (await e.query("q")).toEventStreamResponse().body!.getReader();
    await reader.read(); // sources
    await reader.read(); // first delta
    const pending = reader.read(); // waits 60 s for the next token
    await reader.cancel();
    await pending.catch(() => undefined);
    expect(llm.calls[0]!.aborted).toBe(true);
  });

  it("pipeToNodeResponse returns and aborts when the client left during the query", async () => {
    const { llm, engine: e } = engine({ acceptDelayMs: 150, chunkDelayMs: 60_000 });
    let piped: Promise<void> | undefined;
    const server = createServer((_req, res) => {
      piped = e.query("q").then((answer) => answer.pipeToNodeResponse(res));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    try {
      const req = request({ host: "127.0.0.1", port: (server.address() as AddressInfo).port });
      req.on("error", () => {});
      req.end();
      for (let i = 0; i < 100 && llm.calls.length === 0; i++) await settle(1);
      req.destroy();
      await settle(3);
      await piped;
      expect(llm.calls[0]!.aborted).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("printResponseStream stops and rethrows when the writer fails", async () => {
    const { llm, engine: e } = engine({ response: "a b c d e f", chunkDelayMs: 1 });
    const res = await e.query("q");
    const out = new Writable({
      highWaterMark: 1,
      write: (_c, _e, cb) => setImmediate(() => cb(new Error("EPIPE: reader went away"))),
    });
    out.on("error", () => {});
    await expect(res.printResponseStream(out)).rejects.toThrow(/EPIPE/);
    expect(llm.calls[0]!.aborted).toBe(true);
  });

  it("an observer that throws is reported, never breaks the stream or keeps the provider running", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    offs.push(() => process.off("warning", onWarning));
    const { llm, engine: e } = engine({ response: "a b c d", chunkDelayMs: 1 });
    const res = await e.query("q");
    res.observe({
      onDelta: () => {
        throw new Error("observer bug");
      },
      onCancel: () => {
        throw new Error("observer bug on cancel");
      },
    });
    for await (const d of res) if (d === " b") break;
    expect(llm.calls[0]!.aborted).toBe(true);
    await settle();
    expect(warnings.some((w) => w.includes("observer bug on cancel"))).toBe(true);
  });

  it("a cancelled answer is not mistaken for a complete one", async () => {
    const { engine: e } = engine({ response: "a b c", chunkDelayMs: 1 });
    const res = await e.query("q");
    for await (const _ of res) break;
    expect(res.cancelled).toBe(true);
    const err = await res.getResponse().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).partialText).toBe("a");
    expect(await collect(res)).toEqual([]);

    const { engine: e2 } = engine({ response: "x y z", chunkDelayMs: 60_000 });
    const sse = await e2.query("q");
    const body = sse.toEventStreamResponse().text();
    await settle();
    await sse.cancel();
    expect(await body).toMatch(/event: cancelled\ndata: \{"partialText":"x"\}/);
  });

  it("a signal aborted mid-stream keeps the partial text on the AbortError", async () => {
    const { engine: e } = engine({ response: "a b c", chunkDelayMs: 60_000 });
    const ac = new AbortController();
    const res = await e.query("q", { signal: ac.signal });
    const it = res[Symbol.asyncIterator]();
    await it.next();
    const pending = it.next();
    ac.abort();
    const err = await pending.catch((x: unknown) => x);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).partialText).toBe("a");
  });
});

describe("no leaks, no double counting", () => {
  it("MockLLM removes its abort listener when a call ends", async () => {
    const llm = new MockLLM({ response: "a b" });
    const ac = new AbortController();
    for (let i = 0; i < 20; i++) {
      await llm.complete("p", { signal: ac.signal });
      await collect(
        (async function* () {
          for await (const p of await llm.streamComplete("p", { signal: ac.signal })) {
            if (p.type === "text-delta") yield p.text;
          }
        })(),
      );
    }
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });

  it("a finished answer releases the caller's signal", async () => {
    const { engine: e } = engine({ response: "a b" });
    const ac = new AbortController();
    await collect(await e.query("q", { signal: ac.signal }));
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });

  it("per-call llm-end usages add up to the response's usage", async () => {
    const events = record();
    const { engine: e } = engine({ response: "one two" }, "refine", 3);
    const full = await (await e.query("q")).getResponse();
    const ends = events.filter(
      (x): x is Extract<StreamdexEvent, { type: "llm-end" }> => x.type === "llm-end",
    );
    expect(ends).toHaveLength(3);
    const sum = ends.reduce((s, x) => s + (x.usage?.totalTokens ?? 0), 0);
    expect(sum).toBe(full.usage?.totalTokens);
  });

  it("after a failure, tree_summarize starts no further calls", async () => {
    const llm = new MockLLM({
      response: "s",
      acceptDelayMs: 2,
      failOnStart: (i) => (i === 0 ? new Error("500") : undefined),
    });
    const helper = new PromptHelper({ contextWindow: 60, numOutput: 10 });
    const synth = getResponseSynthesizer({
      responseMode: "tree_summarize",
      llm,
      promptHelper: helper,
      maxConcurrency: 2,
    });
    await expect(synth.synthesize({ query: "q", nodes: nodes(12, 20) })).rejects.toThrow("500");
    await settle(5);
    expect(llm.calls.length).toBeLessThanOrEqual(2);
  });
});

describe("prompt packing with multi-byte text never exceeds the window", () => {
  it("repacked and truncated pieces fit, and contain no broken characters", () => {
    const tokenizer = defaultTokenizer();
    const helper = new PromptHelper({ contextWindow: 120, numOutput: 10, tokenizer });
    const qa = new PromptTemplate("Q {query}\n{context}");
    const text = "🦜🌊 ünïcødé 漢字かな ".repeat(200);
    const budget = helper.availableContextTokens(qa, { query: "q" });
    for (const piece of helper.repack(qa, { query: "q" }, [text])) {
      expect(tokenizer.countTokens(piece)).toBeLessThanOrEqual(budget);
      expect(piece).not.toMatch(/\uFFFD/);
    }
    const cut = helper.truncate(qa, { query: "q" }, [text, text, text]);
    expect(cut.every((c) => !/\uFFFD/.test(c) && text.startsWith(c))).toBe(true);
    expect(tokenizer.countTokens(qa.format({ query: "q", context: cut.join("\n\n") }))).toBeLessThanOrEqual(
      110,
    );
  });
});
