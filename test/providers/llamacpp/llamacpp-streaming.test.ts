import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAbortError } from "../../../src/errors/index.js";
import {
  AbortError,
  BadRequestError,
  getResponseSynthesizer,
  type LLMStreamPart,
  RetrieverQueryEngine,
  StreamingResponse,
} from "../../../src/index.js";
import { LlamaCpp, type LlamaCppOptions } from "../../../src/providers/llamacpp/index.js";
import { ensureTinyGguf } from "../../fixtures/make-tiny-gguf.js";
import { FixedRetriever, nodes, settle } from "../../support/fixtures.js";

let modelPath: string;
const created: LlamaCpp[] = [];

/** A LlamaCpp on the tiny model that counts the tokens llama.cpp generates (read or not). */
function tiny(options: Partial<LlamaCppOptions> = {}) {
  const counter = { tokens: 0 };
  const llm = new LlamaCpp({ modelPath, threads: 1, onToken: () => counter.tokens++, ...options });
  created.push(llm);
  return { llm, counter };
}

function engineFor(llm: LlamaCpp) {
  const retriever = new FixedRetriever(nodes(2));
  return new RetrieverQueryEngine({
    retriever,
    responseSynthesizer: getResponseSynthesizer({ streaming: true, llm }),
  });
}

/** Waits until `read()` stops changing (llama.cpp finished its token in flight and released the sequence). */
async function quiet(read: () => number): Promise<number> {
  let last = read();
  for (;;) {
    await settle(4);
    if (read() === last) return last;
    last = read();
  }
}

beforeAll(() => {
  modelPath = ensureTinyGguf();
});

afterAll(async () => {
  await Promise.all(created.map((l) => l.dispose()));
});

describe("LlamaCpp: real llama.cpp tokens through a streaming query engine", () => {
  it("query() resolves before any delta is read; deltas then arrive one token at a time", async () => {
    const { llm, counter } = tiny({ maxTokens: 24 });
    await llm.load();
    const res = await engineFor(llm).query("What did the author do growing up?");
    expect(res).toBeInstanceOf(StreamingResponse);
    expect(res.deltaCount).toBe(0);
    expect(res.sourceNodes.map((n) => n.node.id)).toEqual(["n0", "n1"]);
    expect(counter.tokens).toBeLessThanOrEqual(4); // at most readAheadTokens generated before anyone reads

    const deltas: string[] = [];
    for await (const d of res.responseGen) deltas.push(d);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.every((d) => d.length > 0)).toBe(true);
    expect(deltas.join("")).toBe(res.responseTxt);
    const final = await res.getResponse();
    expect(final.usage?.completionTokens).toBe(24);
    expect(counter.tokens).toBe(24);
  });

  it("is deterministic (greedy), also when a sequence's KV cache is reused for the same prompt", async () => {
    const { llm } = tiny({ maxTokens: 16 });
    const a = await llm.complete("The lighthouse keeper");
    const b = await llm.complete("The lighthouse keeper");
    expect(a.text.length).toBeGreaterThan(0);
    expect(b.text).toBe(a.text);
    expect(a.finishReason).toBe("length");
  });

  it("uses the GGUF's chat template: chat() and complete() of one user message give the same answer", async () => {
    const { llm } = tiny({ maxTokens: 12 });
    expect(llm.metadata.isChatModel).toBe(true);
    const chat = await llm.chat([{ role: "user", content: "Hello there" }]);
    const completion = await llm.complete("Hello there");
    expect(chat.message.content).toBe(completion.text);
    const raw = tiny({ maxTokens: 12, isChatModel: false }).llm;
    const rawAnswer = await raw.complete("Hello there");
    expect(rawAnswer.usage?.promptTokens).toBeLessThan(completion.usage!.promptTokens);
  });
});

describe("LlamaCpp: stopping early", () => {
  it("an aborted signal stops llama.cpp at once: no token after the one in flight", async () => {
    const { llm, counter } = tiny({ maxTokens: 250 });
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

  it("break releases the sequence: the next query on a one-sequence context runs", async () => {
    const { llm, counter } = tiny({ maxTokens: 250, sequences: 1 });
    const engine = engineFor(llm);
    const first = await engine.query("first");
    let read = 0;
    for await (const _ of first) if (++read === 2) break;
    expect(first.cancelled).toBe(true);
    const stoppedAt = await quiet(() => counter.tokens);
    expect(stoppedAt).toBeLessThanOrEqual(read + 4 + 1);

    const second = await tiny({ maxTokens: 8 }).llm.streamComplete("second"); // another instance, same model
    let chunks = 0;
    for await (const p of second) chunks += p.type === "text-delta" ? 1 : 0;
    expect(chunks).toBeGreaterThan(1);
    const again = await engine.query("again");
    expect((await again.getResponse()).response.length).toBeGreaterThan(0);
  });

  it("an abort while queued for a busy sequence ends that stream at once, and the queue moves on", async () => {
    const { llm, counter } = tiny({ maxTokens: 6, sequences: 1 });
    const holder = await llm.streamComplete("hold the only sequence");
    const controller = new AbortController();
    const waiting = await llm.streamComplete("wait", { signal: controller.signal });
    const pending = waiting[Symbol.asyncIterator]().next();
    await settle(2);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    for await (const _ of holder) {
      /* drain */
    }
    expect(await quiet(() => counter.tokens)).toBe(6); // the aborted one never generated
    const next = await llm.complete("next");
    expect(next.usage?.completionTokens).toBe(6);
  });
});

describe("LlamaCpp: backpressure", () => {
  it("a paused reader pauses generation: llama.cpp runs at most readAheadTokens ahead", async () => {
    const readAheadTokens = 2;
    const { llm, counter } = tiny({ maxTokens: 200, readAheadTokens });
    const stream = await llm.streamComplete("Tell me about the lighthouse.");
    const it = stream[Symbol.asyncIterator]();
    let consumed = 0;
    for (let i = 0; i < 3; i++) {
      await it.next();
      consumed++;
      const ahead = (await quiet(() => counter.tokens)) - consumed;
      // Tokens that produce no text yet (held while they might start a stop text) may add one or two.
      expect(ahead).toBeLessThanOrEqual(readAheadTokens + 2);
    }
    let last: LLMStreamPart | undefined;
    for (let r = await it.next(); !r.done; r = await it.next()) last = r.value;
    expect(last).toMatchObject({ type: "finish", finishReason: "length" });
    expect(counter.tokens).toBe(200);
  });

  it("readAheadTokens: 0 generates only while the reader waits", async () => {
    const { llm, counter } = tiny({ maxTokens: 50, readAheadTokens: 0 });
    const stream = await llm.streamComplete("q");
    await settle(10);
    expect(counter.tokens).toBe(0);
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    const afterOne = await quiet(() => counter.tokens);
    expect(afterOne).toBeLessThanOrEqual(3);
    await it.return?.();
  });
});

describe("LlamaCpp: concurrency and sharing", () => {
  it("concurrent queries on one sequence queue and both finish, with the answers of sequential runs", async () => {
    const { llm } = tiny({ maxTokens: 20, sequences: 1 });
    const engine = engineFor(llm);
    // Both are accepted at once (the second waits for the sequence in the background): no deadlock.
    const [a, b] = await Promise.all([engine.query("alpha question"), engine.query("beta question")]);
    const [ra, rb] = await Promise.all([a.getResponse(), b.getResponse()]);
    expect(ra.usage?.completionTokens).toBe(20);
    expect(rb.usage?.completionTokens).toBe(20);
    const alone = await (await engine.query("alpha question")).getResponse();
    expect(alone.response).toBe(ra.response);
  });

  it("sequences: 2 generates two answers in parallel", async () => {
    const { llm } = tiny({ maxTokens: 20, sequences: 2 });
    const answers = await Promise.all([llm.complete("one"), llm.complete("two"), llm.complete("three")]);
    for (const a of answers) expect(a.usage?.completionTokens).toBe(20);
  });

  it("loads the model once for two instances on the same file, and unloads it after the last dispose", async () => {
    // A copy of the file, so that no other test's instance holds it.
    const copyDir = mkdtempSync(join(tmpdir(), "streamdex-llamacpp-"));
    const copy = join(copyDir, "copy.gguf");
    copyFileSync(modelPath, copy);
    const a = new LlamaCpp({ modelPath: copy, threads: 1, contextSize: 256 });
    const b = new LlamaCpp({ modelPath: copy, threads: 1, contextSize: 128 });
    const [ma, mb] = await Promise.all([a.getModel(), b.getModel()]);
    expect(ma).toBe(mb);
    await a.dispose();
    expect(ma.disposed).toBe(false);
    expect((await b.complete("still loaded")).text.length).toBeGreaterThan(0);
    await b.dispose();
    expect(ma.disposed).toBe(true);
    rmSync(copyDir, { recursive: true, force: true });
  });

  it("dispose() stops unread generations instead of waiting for them forever", async () => {
    const llm = new LlamaCpp({ modelPath, threads: 1, maxTokens: 200, sequences: 1 });
    const unread = await llm.streamComplete("nobody reads this");
    const queued = await llm.streamComplete("nor this");
    await settle(5);
    await llm.dispose();
    const it = unread[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(true);
    expect((await queued[Symbol.asyncIterator]().next()).done).toBe(true);
  });

  it("a prompt longer than the context rejects before the first token (BadRequestError)", async () => {
    const { llm } = tiny({ contextSize: 64, maxTokens: 8 });
    await expect(llm.streamComplete("word ".repeat(200))).rejects.toBeInstanceOf(BadRequestError);
    expect((await llm.complete("short")).text.length).toBeGreaterThan(0);
  });
});
