import { describe, expect, it } from "vitest";
import {
  AbortError,
  getResponseSynthesizer,
  InvalidArgumentError,
  MockLLM,
  type MockLLMOptions,
  NotImplementedError,
  Response,
  RetrieverQueryEngine,
  StreamConsumedError,
  StreamInterruptedError,
  StreamingResponse,
} from "../../src/index.js";
import { collect, FixedRetriever, nodes, settle } from "../support/fixtures.js";

function engine(llmOptions: MockLLMOptions = {}, n = 2) {
  const llm = new MockLLM({ response: "The author wrote stories and programmed.", ...llmOptions });
  const retriever = new FixedRetriever(nodes(n));
  const responseSynthesizer = getResponseSynthesizer({ streaming: true, llm });
  return { llm, retriever, engine: new RetrieverQueryEngine({ retriever, responseSynthesizer }) };
}

describe("DESIGN §2.1: query() resolves when the last LLM call has started", () => {
  it("resolves before any token is produced, with the streaming call accepted", async () => {
    const { llm, engine: e } = engine({ firstChunkDelayMs: 5_000 });
    const res = await e.query("What did the author do?");
    expect(res).toBeInstanceOf(StreamingResponse);
    expect(llm.calls).toHaveLength(1);
    expect(llm.calls[0]).toMatchObject({ streamed: true, chunksProduced: 0, finished: false });
    await res.cancel();
  });

  it("does not resolve before the provider accepted the request", async () => {
    const { llm, engine: e } = engine({ acceptDelayMs: 30 });
    let resolved = false;
    const p = e.query("q").then((r) => {
      resolved = true;
      return r;
    });
    await settle(1);
    expect(llm.calls).toHaveLength(1);
    expect(resolved).toBe(false);
    const res = await p;
    expect(await collect(res)).toHaveLength(6);
  });

  it("an error before the first token rejects query() itself", async () => {
    const err = new Error("401 invalid api key");
    const { engine: e } = engine({ failOnStart: () => err });
    await expect(e.query("q")).rejects.toBe(err);
  });
});

describe("DESIGN §2.2-2.3: one delta per chunk, sources first", () => {
  it("yields exactly the provider's chunks, no re-splitting or batching", async () => {
    const chunks = ["Hel", "lo, w", "orld", "!"];
    const { engine: e } = engine({ chunking: () => chunks });
    const res = await e.query("q");
    expect(await collect(res.responseGen)).toEqual(chunks);
    expect(res.responseTxt).toBe("Hello, world!");
    expect(res.deltaCount).toBe(4);
  });

  it("has sourceNodes and metadata before the first token", async () => {
    const { llm, engine: e } = engine({ firstChunkDelayMs: 5_000 }, 3);
    const res = await e.query("q");
    expect(llm.calls[0]!.chunksProduced).toBe(0);
    expect(res.sourceNodes.map((n) => n.node.id)).toEqual(["n0", "n1", "n2"]);
    expect(res.metadata).toEqual({ n0: { i: 0 }, n1: { i: 1 }, n2: { i: 2 } });
    await res.cancel();
  });

  it("iterating the response and responseGen are the same single pass", async () => {
    const { engine: e } = engine();
    const res = await e.query("q");
    const it = res[Symbol.asyncIterator]();
    await it.next();
    expect(() => res.responseGen[Symbol.asyncIterator]()).toThrow(StreamConsumedError);
    await it.return?.();
  });
});

describe("DESIGN §2.5: an LLM that cannot stream", () => {
  it("throws NotImplementedError at construction when the LLM is known", () => {
    const llm = new MockLLM({ streaming: false });
    expect(() => getResponseSynthesizer({ streaming: true, llm })).toThrow(NotImplementedError);
    expect(() => getResponseSynthesizer({ streaming: true, llm })).toThrow(
      /MockLLM does not support streaming/,
    );
    expect(() => getResponseSynthesizer({ streaming: false, llm })).not.toThrow();
  });

  it("Settings.llm that cannot stream fails the build of a streaming engine, before any retrieval", async () => {
    // Settings are read at construction (was: at the first query, so a later Settings.llm changed the engine).
    const { Settings } = await import("../../src/settings/settings.js");
    const retriever = new FixedRetriever(nodes(2));
    const llm = new MockLLM({ streaming: false });
    Settings.llm = llm;
    try {
      expect(() => getResponseSynthesizer({ streaming: true })).toThrow(NotImplementedError);
      expect(retriever.calls).toBe(0);
      expect(llm.calls).toHaveLength(0);
    } finally {
      Settings.llm = undefined;
    }
  });
});

describe("DESIGN §2.6: printResponseStream, getResponse, responseTxt", () => {
  it("printResponseStream writes each delta as it arrives", async () => {
    const { engine: e } = engine({ chunking: () => ["a", "b", "c"] });
    const res = await e.query("q");
    const writes: string[] = [];
    const out = {
      write: (s: string) => {
        writes.push(s);
        return true;
      },
      once: () => out,
    } as unknown as NodeJS.WritableStream;
    await res.printResponseStream(out);
    expect(writes).toEqual(["a", "b", "c"]);
  });

  it("getResponse drains the rest and returns text, sources and usage", async () => {
    const { engine: e } = engine({ chunking: "char", response: "abcd" });
    const res = await e.query("q");
    const it = res[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe("a");
    // The reader paused (no read pending): getResponse takes over, and the text read so far is in the result.
    const full = await res.getResponse();
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(full).toBeInstanceOf(Response);
    expect(full.response).toBe("abcd");
    expect(String(full)).toBe("abcd");
    expect(full.sourceNodes).toHaveLength(2);
    expect(full.usage?.completionTokens).toBe(4);
    expect(res.responseTxt).toBe("abcd");
  });

  it("after the end, iterating again replays the text once", async () => {
    const { engine: e } = engine({ response: "x y" });
    const res = await e.query("q");
    expect(await collect(res)).toEqual(["x", " y"]);
    expect(await collect(res)).toEqual(["x y"]);
  });
});

describe("DESIGN §2.7: stopping early aborts the provider", () => {
  it("break stops generation", async () => {
    const { llm, engine: e } = engine({ response: "a b c d e f g h", chunkDelayMs: 1 });
    const res = await e.query("q");
    for await (const d of res) if (d.includes("b")) break;
    expect(llm.calls[0]).toMatchObject({ aborted: true, chunksProduced: 2, finished: false });
    expect(res.done).toBe(true);
  });

  it("cancel() ends a pending read quietly and aborts the call", async () => {
    const { llm, engine: e } = engine({ chunkDelayMs: 60_000 });
    const res = await e.query("q");
    const seen: string[] = [];
    const loop = (async () => {
      for await (const d of res) seen.push(d);
    })();
    await settle();
    await res.cancel();
    await loop;
    expect(seen).toHaveLength(1);
    expect(llm.calls[0]!.aborted).toBe(true);
  });

  it("cancel() before reading aborts the accepted call", async () => {
    const { llm, engine: e } = engine();
    const res = await e.query("q");
    await res.cancel();
    expect(llm.calls[0]).toMatchObject({ aborted: true, chunksProduced: 0 });
    expect(await collect(res)).toEqual([]);
  });

  it("an aborted signal makes the loop throw AbortError and stops the call", async () => {
    const { llm, engine: e } = engine({ chunkDelayMs: 60_000 });
    const ac = new AbortController();
    const res = await e.query("q", { signal: ac.signal });
    const seen: string[] = [];
    const loop = (async () => {
      for await (const d of res) seen.push(d);
    })();
    await settle();
    ac.abort();
    await expect(loop).rejects.toBeInstanceOf(AbortError);
    expect(seen).toHaveLength(1);
    expect(llm.calls[0]!.aborted).toBe(true);
  });

  it("a signal aborted before or during the query rejects it with AbortError", async () => {
    const { llm, retriever, engine: e } = engine({ acceptDelayMs: 60_000 });
    await expect(e.query("q", { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(retriever.calls).toBe(0);
    const ac = new AbortController();
    const p = e.query("q", { signal: ac.signal });
    await settle();
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);
    expect(llm.calls[0]!.aborted).toBe(true);
  });
});

describe("DESIGN §2.8: pull, not push", () => {
  it("a slow consumer slows the provider: nothing is generated ahead of the reader", async () => {
    const { llm, engine: e } = engine({ response: Array.from({ length: 50 }, (_, i) => `w${i}`).join(" ") });
    const res = await e.query("q");
    const it = res[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    await settle(10);
    expect(llm.calls[0]!.chunksProduced).toBe(2);
    await it.next();
    await settle(10);
    expect(llm.calls[0]!.chunksProduced).toBe(3);
    await it.return?.();
  });
});

describe("DESIGN §2.9: errors mid-stream", () => {
  it("throws a typed error from the loop with the partial text on it", async () => {
    const { engine: e } = engine({ response: "one two three four", failAfterChunks: 2 });
    const res = await e.query("q");
    const seen: string[] = [];
    const err = await (async () => {
      for await (const d of res) seen.push(d);
    })().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(StreamInterruptedError);
    expect((err as StreamInterruptedError).partialText).toBe("one two");
    expect((err as Error).message).toMatch(/after 2 deltas.*partialText/);
    expect(seen).toEqual(["one", " two"]);
    await expect(res.getResponse()).rejects.toBe(err);
  });
});

describe("bad input", () => {
  it("rejects an empty or non-string query before any work", async () => {
    const { retriever, engine: e } = engine();
    await expect(e.query("  ")).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(e.query(42 as unknown as string)).rejects.toThrow(/expected a string/);
    expect(retriever.calls).toBe(0);
  });

  it("rejects unknown modes, wrong option types and a bad retriever at construction", () => {
    expect(() => getResponseSynthesizer({ responseMode: "fast" as never })).toThrow(
      /Use one of: refine, compact/,
    );
    expect(() => getResponseSynthesizer({ streaming: "yes" as unknown as boolean })).toThrow(
      InvalidArgumentError,
    );
    expect(() => getResponseSynthesizer({ maxConcurrency: 0 })).toThrow(InvalidArgumentError);
    expect(() => getResponseSynthesizer({ textQATemplate: "no placeholders" })).toThrow(
      /\{context\} and \{query\}/,
    );
    expect(() => new RetrieverQueryEngine({ retriever: {} as never })).toThrow(/retrieve\(query\)/);
  });
});
