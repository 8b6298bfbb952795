import { describe, expect, it } from "vitest";
import { AbortError, InvalidArgumentError, MockLLM } from "../../src/index.js";
import { settle } from "../support/fixtures.js";

describe("MockLLM", () => {
  it("is deterministic: echoes the prompt by default, chunked by word", async () => {
    const llm = new MockLLM();
    const parts: string[] = [];
    for await (const p of await llm.streamComplete("one two  three")) {
      parts.push(p.type === "text-delta" ? p.text : p.type);
    }
    // One text-delta per chunk, then the finish part (usage and finish reason) on its own.
    expect(parts).toEqual(["one", " two", "  three", "finish"]);
    expect((await llm.complete("one two  three")).text).toBe("one two  three");
  });

  it("records every call with its prompt and whether it streamed", async () => {
    const llm = new MockLLM({ response: "ok" });
    await llm.complete("p1");
    const s = await llm.streamComplete("p2");
    for await (const _ of s);
    expect(llm.calls.map((c) => [c.index, c.prompt, c.streamed, c.finished])).toEqual([
      [0, "p1", false, true],
      [1, "p2", true, true],
    ]);
  });

  it("supports char, fixed-size and custom chunking, and usage on the finish part after the last chunk", async () => {
    const read = async (llm: MockLLM) => {
      const out: string[] = [];
      const types: string[] = [];
      let usage: unknown;
      for await (const p of await llm.streamComplete("p")) {
        types.push(p.type);
        if (p.type === "text-delta") out.push(p.text);
        if (p.type === "finish") usage = p.usage ?? usage;
      }
      expect(types.at(-1)).toBe("finish");
      expect(types.filter((t) => t === "finish")).toHaveLength(1);
      return { out, usage };
    };
    expect((await read(new MockLLM({ response: "abc", chunking: "char" }))).out).toEqual(["a", "b", "c"]);
    expect((await read(new MockLLM({ response: "abcde", chunking: 2 }))).out).toEqual(["ab", "cd", "e"]);
    const custom = await read(new MockLLM({ response: "x", chunking: () => ["1", "2"] }));
    expect(custom.out).toEqual(["1", "2"]);
    expect(custom.usage).toEqual({ promptTokens: 1, completionTokens: 2, totalTokens: 3 });
  });

  it("generates lazily: a chunk is produced only when it is pulled", async () => {
    const llm = new MockLLM({ response: "a b c d e f" });
    const it = (await llm.streamComplete("p"))[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    await settle();
    expect(llm.calls[0]!.chunksProduced).toBe(2);
    await it.return?.();
    expect(llm.calls[0]!.aborted).toBe(true);
  });

  it("honours abort during the accept delay and between chunks", async () => {
    const llm = new MockLLM({ response: "a b c", acceptDelayMs: 10_000 });
    const ac = new AbortController();
    const p = llm.streamComplete("p", { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);

    const slow = new MockLLM({ response: "a b c", chunkDelayMs: 10_000 });
    const ac2 = new AbortController();
    const it = (await slow.streamComplete("p", { signal: ac2.signal }))[Symbol.asyncIterator]();
    await it.next();
    const pending = it.next();
    ac2.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    expect(slow.calls[0]).toMatchObject({ aborted: true, chunksProduced: 1 });
  });

  it("can fail before acceptance or mid-stream, and can refuse to stream", async () => {
    const failing = new MockLLM({ failOnStart: (i) => (i === 0 ? new Error("401 nope") : undefined) });
    await expect(failing.streamComplete("p")).rejects.toThrow("401 nope");
    const mid = new MockLLM({ response: "a b c d", failAfterChunks: 2 });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const p of await mid.streamComplete("p"))
          seen.push(p.type === "text-delta" ? p.text : p.type);
      })(),
    ).rejects.toThrow(/after 2 chunks/);
    expect(seen).toEqual(["a", " b"]);
    expect(new MockLLM({ streaming: false }).supportsStreaming).toBe(false);
    expect(() => new MockLLM({ chunkDelayMs: -1 })).toThrow(InvalidArgumentError);
  });
});
