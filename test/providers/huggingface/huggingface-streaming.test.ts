import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { env, LogLevel } from "@huggingface/transformers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAbortError } from "../../../src/errors/index.js";
import {
  BadRequestError,
  getResponseSynthesizer,
  type LLMStreamPart,
  ProviderError,
  RetrieverQueryEngine,
  StreamInterruptedError,
  StreamingResponse,
} from "../../../src/index.js";
import { HuggingFaceLLM, type HuggingFaceLLMOptions } from "../../../src/providers/huggingface/index.js";
import { modelCacheStats } from "../../../src/providers/huggingface/model-cache.js";
import { ensureFailingGpt2, ensureTinyGpt2 } from "../../fixtures/onnx/make-tiny-gpt2.js";
import { FixedRetriever, nodes, settle } from "../../support/fixtures.js";

let model: string;
const created: HuggingFaceLLM[] = [];

/** A HuggingFaceLLM on the tiny GPT-2 that counts the tokens transformers.js generates (read or not). */
function tiny(options: Partial<HuggingFaceLLMOptions> = {}) {
  const counter = { tokens: 0 };
  const llm = new HuggingFaceLLM({ model, onToken: () => counter.tokens++, ...options });
  created.push(llm);
  return { llm, counter };
}

function engineFor(llm: HuggingFaceLLM) {
  return new RetrieverQueryEngine({
    retriever: new FixedRetriever(nodes(2)),
    responseSynthesizer: getResponseSynthesizer({ streaming: true, llm }),
  });
}

/** Waits until `read()` stops changing (the forward pass in flight finished and generation stopped). */
async function quiet(read: () => number): Promise<number> {
  let last = read();
  for (;;) {
    await settle(4);
    if (read() === last) return last;
    last = read();
  }
}

beforeAll(() => {
  env.allowRemoteModels = false;
  model = ensureTinyGpt2();
});

afterAll(async () => {
  await Promise.all(created.map((l) => l.dispose()));
});

describe("HuggingFaceLLM: real transformers.js tokens through a streaming query engine", () => {
  it("query() resolves before any delta is read; then one delta per generated token", async () => {
    const { llm, counter } = tiny({ maxNewTokens: 24 });
    await llm.load();
    const res = await engineFor(llm).query("What did the author do growing up?");
    expect(res).toBeInstanceOf(StreamingResponse);
    expect(res.deltaCount).toBe(0);
    expect(res.sourceNodes.map((n) => n.node.id)).toEqual(["n0", "n1"]);
    expect(counter.tokens).toBeLessThanOrEqual(4); // at most readAheadTokens before anyone reads

    const deltas: string[] = [];
    for await (const d of res.responseGen) deltas.push(d);
    expect(counter.tokens).toBe(24);
    expect(deltas).toHaveLength(24);
    expect(deltas.every((d) => d.length > 0)).toBe(true);
    expect(deltas.join("")).toBe(res.responseTxt);
    const final = await res.getResponse();
    expect(final.usage?.completionTokens).toBe(24);
  });

  it("each delta is its token's text: the deltas join to the tokenizer's decode of the answer", async () => {
    const { llm } = tiny({ maxNewTokens: 16 });
    const ids: number[] = [];
    const stream = await llm.streamComplete("The lighthouse keeper");
    const deltas: string[] = [];
    for await (const p of stream) {
      if (p.type !== "text-delta") continue;
      expect(p.text).not.toBe(""); // no empty text-deltas
      deltas.push(p.text);
      if (p.raw) ids.push((p.raw as { token: number }).token);
    }
    const tokenizer = await llm.getTokenizer();
    expect(deltas.join("")).toBe(tokenizer.decode(ids));
    expect(deltas.map((_, i) => tokenizer.decode([ids[i]!]))).toEqual(deltas);
  });

  it("is deterministic (greedy); chat() and complete() of one user message use the chat template alike", async () => {
    const { llm } = tiny({ maxNewTokens: 12 });
    expect(llm.metadata.isChatModel).toBe(true);
    const a = await llm.complete("Hello there");
    const b = await llm.complete("Hello there");
    expect(a.text.length).toBeGreaterThan(0);
    expect(b.text).toBe(a.text);
    expect(a.finishReason).toBe("length");
    const chat = await llm.chat([{ role: "user", content: "Hello there" }]);
    expect(chat.message.content).toBe(a.text);
    const raw = await tiny({ maxNewTokens: 12, isChatModel: false }).llm.complete("Hello there");
    expect(raw.usage?.promptTokens).toBeLessThan(a.usage!.promptTokens);
  });

  it("contextWindow comes from config.json (n_positions) less the chat template's reserve", () => {
    const { llm } = tiny();
    expect(llm.metadata.contextWindow).toBe(512 - 64);
    expect(llm.metadata.numOutput).toBe(128);
    expect(tiny({ contextWindow: 256, maxNewTokens: 10 }).llm.metadata).toMatchObject({
      contextWindow: 192,
      numOutput: 10,
    });
  });
});

describe("HuggingFaceLLM: stopping early", () => {
  it("an aborted signal stops generation: no forward pass after the one in flight", async () => {
    const { llm, counter } = tiny({ maxNewTokens: 200 });
    const controller = new AbortController();
    const res = await engineFor(llm).query("q", { signal: controller.signal });
    const it = res[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) expect((await it.next()).done).toBe(false);
    const atAbort = counter.tokens;
    controller.abort();
    const after: IteratorResult<string> | Error = await it.next().catch((e: Error) => e);
    expect(after instanceof Error ? isAbortError(after) : after.done).toBe(true);
    const final = await quiet(() => counter.tokens);
    expect(final - atAbort).toBeLessThanOrEqual(1);
    expect(final).toBeLessThan(20);
  });

  it("break stops generation; the model is free for the next query", async () => {
    const { llm, counter } = tiny({ maxNewTokens: 200 });
    const engine = engineFor(llm);
    const first = await engine.query("first");
    let read = 0;
    for await (const _ of first) if (++read === 2) break;
    expect(first.cancelled).toBe(true);
    const stoppedAt = await quiet(() => counter.tokens);
    expect(stoppedAt).toBeLessThanOrEqual(read + 4 + 1);
    const again = await tiny({ maxNewTokens: 8 }).llm.complete("again");
    expect(again.usage?.completionTokens).toBe(8);
  });

  it("dispose() stops running generations instead of leaving them running", async () => {
    // A read-ahead larger than the answer: only dispose() can stop it.
    const { llm, counter } = tiny({ maxNewTokens: 400, readAheadTokens: 1000 });
    const unread = await llm.streamComplete("nobody reads this");
    while (counter.tokens < 5) await settle(1);
    await llm.dispose();
    const stoppedAt = await quiet(() => counter.tokens);
    expect(stoppedAt).toBeLessThan(400);
    const it = unread[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(true);
  });
});

describe("HuggingFaceLLM: backpressure", () => {
  it("a paused reader pauses generation: at most readAheadTokens ahead, however long it waits", async () => {
    const readAheadTokens = 2;
    const { llm, counter } = tiny({ maxNewTokens: 120, readAheadTokens });
    const stream = await llm.streamComplete("Tell me about the lighthouse.");
    const it = stream[Symbol.asyncIterator]();
    let consumed = 0;
    for (let i = 0; i < 3; i++) {
      await it.next();
      consumed++;
      await new Promise((r) => setTimeout(r, 50)); // a slow reader
      expect((await quiet(() => counter.tokens)) - consumed).toBeLessThanOrEqual(readAheadTokens);
    }
    let last: LLMStreamPart | undefined;
    for (let r = await it.next(); !r.done; r = await it.next()) last = r.value;
    expect(last).toMatchObject({ type: "finish", finishReason: "length" });
    expect(counter.tokens).toBe(120);
  });

  it("readAheadTokens: 0 generates only while the reader waits", async () => {
    const { llm, counter } = tiny({ maxNewTokens: 50, readAheadTokens: 0 });
    const stream = await llm.streamComplete("q");
    await settle(10);
    expect(counter.tokens).toBe(0);
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    expect(await quiet(() => counter.tokens)).toBe(1);
    await it.return?.();
  });
});

describe("HuggingFaceLLM: errors and sharing", () => {
  it("a forward pass failing mid-generation reaches the reader as a typed error with the partial text", async () => {
    // The engine's prompt length, so that the failing model fails 8 tokens into the answer.
    const probe = tiny({ isChatModel: false, maxNewTokens: 1 }).llm;
    const promptTokens = (await (await engineFor(probe).query("q")).getResponse()).usage!.promptTokens;
    const level = env.logLevel;
    env.logLevel = LogLevel.NONE; // onnxruntime and transformers.js would print the (expected) failure
    try {
      const counter = { tokens: 0 };
      const llm = new HuggingFaceLLM({
        model: ensureFailingGpt2(promptTokens + 8), // positions past it fail inside onnxruntime
        isChatModel: false,
        maxNewTokens: 100,
        onToken: () => counter.tokens++,
      });
      created.push(llm);
      const res = await engineFor(llm).query("q"); // the prompt fits: the request is accepted
      const deltas: string[] = [];
      const error = await (async () => {
        for await (const d of res) deltas.push(d);
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StreamInterruptedError);
      expect((error as StreamInterruptedError).cause).toBeInstanceOf(ProviderError);
      expect((error as Error).message).toMatch(/transformers\.js failed while generating: .*Gather/);
      expect(deltas.length).toBe(9); // the prompt's forward pass and 8 more succeeded
      expect((error as StreamInterruptedError).partialText).toBe(deltas.join(""));
      expect(counter.tokens).toBe(deltas.length);
    } finally {
      env.logLevel = level;
    }
  });

  it("loads the model once for two instances on the same directory, and unloads it after the last dispose", async () => {
    // A copy of the directory, so that no other test's instance holds it.
    const copy = join(mkdtempSync(join(tmpdir(), "streamdex-hf-")), "model");
    cpSync(model, copy, { recursive: true });
    const before = modelCacheStats();
    const a = new HuggingFaceLLM({ model: copy, maxNewTokens: 3 });
    const b = new HuggingFaceLLM({ model: copy, maxNewTokens: 3, contextWindow: 128 });
    const [ma, mb] = await Promise.all([a.getModel(), b.getModel()]);
    expect(ma).toBe(mb);
    expect(modelCacheStats().loadsStarted - before.loadsStarted).toBe(1);
    expect(modelCacheStats().loaded).toBe(before.loaded + 1);
    await a.dispose();
    expect((await b.complete("still loaded")).usage?.completionTokens).toBe(3);
    await b.dispose();
    expect(modelCacheStats().loaded).toBe(before.loaded);
    rmSync(dirname(copy), { recursive: true, force: true });
  });

  it("concurrent generations on one shared model both finish, with the answers of sequential runs", async () => {
    const { llm } = tiny({ maxNewTokens: 20 });
    const [a, b] = await Promise.all([llm.complete("alpha question"), llm.complete("beta question")]);
    expect(a.usage?.completionTokens).toBe(20);
    expect(b.usage?.completionTokens).toBe(20);
    expect((await llm.complete("alpha question")).text).toBe(a.text);
    expect((await llm.complete("beta question")).text).toBe(b.text);
  });

  it("a prompt longer than the context rejects before the first token (BadRequestError)", async () => {
    const { llm, counter } = tiny({ contextWindow: 64, maxNewTokens: 8 });
    await expect(llm.streamComplete("word ".repeat(200))).rejects.toBeInstanceOf(BadRequestError);
    expect(counter.tokens).toBe(0);
    expect((await llm.complete("short")).text.length).toBeGreaterThan(0);
  });
});
