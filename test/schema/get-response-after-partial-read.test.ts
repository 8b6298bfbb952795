import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  getResponseSynthesizer,
  type LLMStream,
  MockLLM,
  type MockLLMOptions,
  RetrieverQueryEngine,
  StreamConsumedError,
  StreamInterruptedError,
  StreamingResponse,
} from "../../src/index.js";
import { OpenAI } from "../../src/providers/openai/index.js";
import { streamParts } from "../../src/streaming/stream-parts.js";
import { type FakeOpenAIServer, startFakeOpenAI } from "../support/fake-openai/server.js";
import { FixedRetriever, nodes } from "../support/fixtures.js";

/** DESIGN §2.6: `getResponse()` also after the caller has read part of the stream and paused. */

const DONE = { done: true, value: undefined };
const WORDS = ["The", " author", " wrote", " stories", " and", " programmed."];

function mockEngine(options: MockLLMOptions = {}) {
  const llm = new MockLLM({ response: WORDS.join(""), ...options });
  const responseSynthesizer = getResponseSynthesizer({ streaming: true, llm });
  return {
    llm,
    engine: new RetrieverQueryEngine({ retriever: new FixedRetriever(nodes(2)), responseSynthesizer }),
  };
}

/**
 * A stream that yields a chunk only for a permit (`release()`), to put reads in flight deterministically. It
 * yields the pre-parts `{ delta }` shape on purpose (typed loosely): a hand-written LLM stream of the old shape is
 * still read as text by StreamingResponse.
 */
function gatedStream(chunks: string[]) {
  let permits = 0;
  const waiting: (() => void)[] = [];
  async function* stream(): AsyncGenerator<{ delta: string }> {
    for (const delta of chunks) {
      if (permits > 0) permits--;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      yield { delta };
    }
  }
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else permits++;
  };
  return {
    response: new StreamingResponse({ stream: stream() as unknown as LLMStream, sourceNodes: nodes(1) }),
    /** Lets one more chunk through. */
    release,
    /** Lets every chunk through. */
    releaseAll: () => {
      for (let i = 0; i < chunks.length; i++) release();
    },
  };
}

/** A writer that records what it is given and never asks to slow down. */
function recordingOut() {
  const writes: string[] = [];
  const out = {
    write: (s: string) => writes.push(s) > 0,
    once: () => out,
  } as unknown as NodeJS.WritableStream;
  return { out, writes };
}

describe("getResponse() after a partial read, with MockLLM", () => {
  it("a paused iterator: drains the rest into the full Response, then the iterator is done", async () => {
    const { llm, engine } = mockEngine();
    const res = await engine.query("q");
    const it = res[Symbol.asyncIterator]();
    const read = [(await it.next()).value, (await it.next()).value];
    expect(read).toEqual(["The", " author"]);
    expect(llm.calls[0]).toMatchObject({ chunksProduced: 2, finished: false });

    const full = await res.getResponse();
    expect(full.response).toBe(WORDS.join(""));
    expect(full.response.startsWith(read.join(""))).toBe(true);
    expect(full.sourceNodes.map((n) => n.node.id)).toEqual(["n0", "n1"]);
    expect(full.usage?.completionTokens).toBe(WORDS.length);
    expect(llm.calls[0]).toMatchObject({ chunksProduced: WORDS.length, finished: true, aborted: false });
    expect(res.responseTxt).toBe(WORDS.join(""));
    expect(res.deltaCount).toBe(WORDS.length);

    expect(await it.next()).toEqual(DONE);
    // Its return() no longer cancels anything: the answer ended normally.
    expect(await it.return?.()).toEqual(DONE);
    expect(res.cancelled).toBe(false);
    expect((await res.getResponse()).response).toBe(WORDS.join(""));
  });

  it("the same through responseGen's iterator, and before any read", async () => {
    const { engine } = mockEngine({ chunking: "char", response: "abcdef" });
    const res = await engine.query("q");
    const it = res.responseGen[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe("a");
    expect((await it.next()).value).toBe("b");
    expect((await it.next()).value).toBe("c");
    expect((await res.getResponse()).response).toBe("abcdef");
    expect(await it.next()).toEqual(DONE);

    const res2 = await engine.query("q");
    const it2 = res2.responseGen[Symbol.asyncIterator]();
    expect((await res2.getResponse()).response).toBe("abcdef");
    expect(await it2.next()).toEqual(DONE);
  });

  it("the paused iterator is ended at once: reads and return() during the drain do not disturb it", async () => {
    const { llm, engine } = mockEngine({ chunkDelayMs: 1 });
    const res = await engine.query("q");
    const it = res[Symbol.asyncIterator]();
    await it.next();
    const pending = res.getResponse();
    expect(await it.next()).toEqual(DONE);
    expect(await it.return?.()).toEqual(DONE);
    expect((await pending).response).toBe(WORDS.join(""));
    expect(llm.calls[0]).toMatchObject({ aborted: false, finished: true });
  });

  it("getResponse() calls made while one drains share its result", async () => {
    const { llm, engine } = mockEngine();
    const res = await engine.query("q");
    const it = res[Symbol.asyncIterator]();
    await it.next();
    const [a, b] = await Promise.all([res.getResponse(), res.getResponse()]);
    expect(a.response).toBe(WORDS.join(""));
    expect(b.response).toBe(WORDS.join(""));
    expect(llm.calls).toHaveLength(1);
  });

  it("an error in the rest rejects getResponse with the partial text, read part included", async () => {
    const { engine } = mockEngine({ failAfterChunks: 3 });
    const res = await engine.query("q");
    const it = res[Symbol.asyncIterator]();
    await it.next();
    const error = await res.getResponse().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).partialText).toBe("The author wrote");
    expect(await it.next()).toEqual(DONE);
    await expect(res.getResponse()).rejects.toBe(error);
  });

  it("printResponseStream after a partial read prints the rest, and the paused iterator is done", async () => {
    const { engine } = mockEngine();
    const res = await engine.query("q");
    const it = res[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe("The");
    const { out, writes } = recordingOut();
    await res.printResponseStream(out);
    expect(writes).toEqual(WORDS.slice(1));
    expect(await it.next()).toEqual(DONE);
    expect((await res.getResponse()).response).toBe(WORDS.join(""));
  });
});

describe("a reader that really runs at the same time still gets StreamConsumedError", () => {
  it("an iterator's next() in flight: getResponse and printResponseStream are refused, the reader goes on", async () => {
    const { engine } = mockEngine();
    const res = await engine.query("q");
    const it = res[Symbol.asyncIterator]();
    await it.next();
    const inFlight = it.next();
    // Both called while that next() is pending (the decision is made when they are called).
    const getting = res.getResponse();
    const printing = res.printResponseStream(recordingOut().out);
    await expect(getting).rejects.toBeInstanceOf(StreamConsumedError);
    await expect(printing).rejects.toBeInstanceOf(StreamConsumedError);
    expect((await inFlight).value).toBe(" author");
    const rest: string[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
    expect(rest).toEqual(WORDS.slice(2));
    expect((await res.getResponse()).response).toBe(WORDS.join(""));
  });

  it("a for await waiting for its next delta: refused; the loop reads everything", async () => {
    const { response: res, releaseAll } = gatedStream(["a", "b", "c"]);
    const seen: string[] = [];
    const loop = (async () => {
      for await (const d of res) seen.push(d);
    })();
    // The loop's first next() is pending (no chunk released yet).
    await expect(res.getResponse()).rejects.toBeInstanceOf(StreamConsumedError);
    releaseAll();
    await loop;
    expect(seen).toEqual(["a", "b", "c"]);
    expect((await res.getResponse()).response).toBe("abc");
  });

  it("two for await loops at once: the second is refused even while the first one's body runs", async () => {
    const { response: res, releaseAll } = gatedStream(["a", "b"]);
    let second: unknown;
    const first: string[] = [];
    releaseAll();
    for await (const d of res) {
      first.push(d);
      if (first.length === 1) {
        try {
          for await (const _ of res);
        } catch (error) {
          second = error;
        }
      }
    }
    expect(second).toBeInstanceOf(StreamConsumedError);
    expect(first).toEqual(["a", "b"]);
  });

  it("a for await whose body is awaiting something else counts as paused: it ends at its next step", async () => {
    const { response: res, release, releaseAll } = gatedStream(["a", "b", "c", "d"]);
    const seen: string[] = [];
    let full: string | undefined;
    release();
    for await (const d of res) {
      seen.push(d);
      if (seen.length === 1) {
        const pending = res.getResponse();
        releaseAll();
        full = (await pending).response;
      }
    }
    expect(seen).toEqual(["a"]);
    expect(full).toBe("abcd");
  });

  it("printResponseStream is a running reader: getResponse is refused while it prints", async () => {
    const { engine } = mockEngine();
    const res = await engine.query("q");
    const { out, writes } = recordingOut();
    const printing = res.printResponseStream(out);
    await expect(res.getResponse()).rejects.toBeInstanceOf(StreamConsumedError);
    await printing;
    expect(writes).toEqual(WORDS);
  });

  it("the library's transports are never taken over, even between two of their reads", async () => {
    const { engine } = mockEngine();
    const res = await engine.query("q");
    const reader = res.toReadableStream().getReader();
    expect((await reader.read()).value).toBe("The");
    // The Web stream is paused between pulls (highWaterMark 0), but it is not an iterator the caller holds.
    await expect(res.getResponse()).rejects.toBeInstanceOf(StreamConsumedError);
    const rest: string[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest.push(r.value);
    expect(rest).toEqual(WORDS.slice(1));

    const res2 = await engine.query("q");
    const parts = streamParts(res2);
    expect((await parts.next()).value).toMatchObject({ type: "sources" });
    expect((await parts.next()).value).toEqual({ type: "text-delta", text: "The" });
    await expect(res2.getResponse()).rejects.toBeInstanceOf(StreamConsumedError);
    const types: string[] = [];
    for await (const part of parts) types.push(part.type);
    expect(types).toEqual([...WORDS.slice(1).map(() => "text-delta"), "finish"]);
  });

  it("a transport opened after a partial read does not take the paused iterator's place", async () => {
    const { engine } = mockEngine();
    const res = await engine.query("q");
    const it = res[Symbol.asyncIterator]();
    await it.next();
    await expect(res.toReadableStream().getReader().read()).rejects.toBeInstanceOf(StreamConsumedError);
    expect((await it.next()).value).toBe(" author");
    await it.return?.();
  });
});

describe("getResponse() after a partial read, against the loopback OpenAI server", () => {
  let server: FakeOpenAIServer;
  beforeAll(async () => {
    server = await startFakeOpenAI();
  });
  afterAll(() => server.close());
  afterEach(() => server.reset());

  const TOKENS = ["Mara", " founded", " Slipway", " in", " 2008", " with", " two", " friends."];

  function openaiEngine() {
    const llm = new OpenAI({
      model: "gpt-4o-mini",
      apiKey: "sk-test",
      baseURL: server.baseURL,
      maxRetries: 0,
    });
    const responseSynthesizer = getResponseSynthesizer({ streaming: true, llm });
    return new RetrieverQueryEngine({ retriever: new FixedRetriever(nodes(2)), responseSynthesizer });
  }

  it("the server streams every chunk; the Response is the read text plus the rest, with usage", async () => {
    server.configure({ tokens: TOKENS }, "chat");
    const res = await openaiEngine().query("Who founded the company?");
    const it = res.responseGen[Symbol.asyncIterator]();
    const read: string[] = [];
    for (let i = 0; i < 3; i++) read.push((await it.next()).value as string);
    expect(read).toEqual(TOKENS.slice(0, 3));

    const full = await res.getResponse();
    expect(full.response).toBe(TOKENS.join(""));
    expect(full.response).toBe(read.join("") + TOKENS.slice(3).join(""));
    expect(full.sourceNodes).toHaveLength(2);
    expect(full.usage).toMatchObject({ completionTokens: TOKENS.length });
    expect(full.usage!.promptTokens).toBeGreaterThan(0);
    expect(res.responseTxt).toBe(TOKENS.join(""));
    expect(res.deltaCount).toBe(TOKENS.length);
    expect(await it.next()).toEqual(DONE);

    await server.waitFor(() => server.requests[0]!.finished);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      streamed: true,
      tokensSent: TOKENS.length,
      finished: true,
      clientAborted: false,
    });
  });

  it("a read in flight makes getResponse throw StreamConsumedError; the reader still gets every chunk", async () => {
    server.configure({ tokens: TOKENS }, "chat");
    const res = await openaiEngine().query("Who founded the company?");
    const it = res[Symbol.asyncIterator]();
    const inFlight = it.next();
    await expect(res.getResponse()).rejects.toBeInstanceOf(StreamConsumedError);
    const deltas = [(await inFlight).value as string];
    for (let r = await it.next(); !r.done; r = await it.next()) deltas.push(r.value);
    expect(deltas).toEqual(TOKENS);
    expect((await res.getResponse()).usage).toMatchObject({ completionTokens: TOKENS.length });
    await server.waitFor(() => server.requests[0]!.finished);
    expect(server.requests[0]).toMatchObject({ tokensSent: TOKENS.length, clientAborted: false });
  });
});
