import { createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  getResponseSynthesizer,
  MockLLM,
  type MockLLMOptions,
  RetrieverQueryEngine,
} from "../../src/index.js";
import { FixedRetriever, nodes, settle } from "../support/fixtures.js";
import { parseSSE } from "../support/sse.js";

function setup(opts: MockLLMOptions) {
  const llm = new MockLLM(opts);
  const engine = new RetrieverQueryEngine({
    retriever: new FixedRetriever(nodes(2)),
    responseSynthesizer: getResponseSynthesizer({ streaming: true, llm }),
  });
  return { llm, engine };
}

describe("Web interop (DESIGN §2.11)", () => {
  it("toReadableStream yields the same deltas and is pull-based", async () => {
    const { llm, engine } = setup({ response: "a b c d e f" });
    const stream = (await engine.query("q")).toReadableStream();
    const reader = stream.getReader();
    expect((await reader.read()).value).toBe("a");
    await settle();
    expect(llm.calls[0]!.chunksProduced).toBe(1);
    const rest: string[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest.push(r.value);
    expect(rest).toEqual([" b", " c", " d", " e", " f"]);
  });

  it("cancelling the ReadableStream aborts the LLM call", async () => {
    const { llm, engine } = setup({ response: "a b c", chunkDelayMs: 60_000 });
    const reader = (await engine.query("q")).toReadableStream().getReader();
    await reader.read();
    await reader.cancel();
    expect(llm.calls[0]!.aborted).toBe(true);
  });

  it("toEventStreamResponse sends sources, then deltas, then usage and done", async () => {
    const { engine } = setup({ response: "x y" });
    const response = (await engine.query("q")).toEventStreamResponse();
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const events = parseSSE(await response.text());
    expect(events.map(([e]) => e)).toEqual(["sources", "delta", "delta", "usage", "done"]);
    expect((events[0]![1] as { sourceNodes: { id: string }[] }).sourceNodes.map((n) => n.id)).toEqual([
      "n0",
      "n1",
    ]);
    expect(events[1]![1]).toEqual({ text: "x" });
    expect(events[3]![1]).toMatchObject({ completionTokens: 2 });
  });

  it("an error mid-stream becomes an error event carrying the partial text", async () => {
    const { engine } = setup({ response: "x y z", failAfterChunks: 1 });
    const events = parseSSE(await (await engine.query("q")).toEventStreamResponse().text());
    expect(events.map(([e]) => e)).toEqual(["sources", "delta", "error"]);
    expect(events[2]![1]).toMatchObject({ code: "stream_interrupted", partialText: "x" });
  });
});

describe("piping into a Node ServerResponse", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  async function serve(engine: RetrieverQueryEngine<true>, format: "sse" | "text"): Promise<number> {
    server = createServer(async (_req, res) => {
      const answer = await engine.query("q");
      await answer.pipeToNodeResponse(res, { format });
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
    return (server.address() as AddressInfo).port;
  }

  function get(port: number): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      request({ host: "127.0.0.1", port, path: "/" }, resolve).on("error", reject).end();
    });
  }

  it("streams SSE over a real socket", async () => {
    const { engine } = setup({ response: "one two three" });
    const res = await get(await serve(engine, "sse"));
    expect(res.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    let body = "";
    for await (const chunk of res) body += chunk;
    expect(parseSSE(body).map(([e]) => e)).toEqual(["sources", "delta", "delta", "delta", "usage", "done"]);
  });

  it("streams plain text, and a client that disconnects aborts the LLM call", async () => {
    const { llm, engine } = setup({ response: Array(100).fill("tok").join(" "), chunkDelayMs: 5 });
    const res = await get(await serve(engine, "text"));
    let body = "";
    for await (const chunk of res) {
      body += chunk;
      if (body.length >= 8) break; // destroys the socket
    }
    for (let i = 0; i < 100 && !llm.calls[0]?.aborted; i++) await settle(1);
    expect(llm.calls[0]!.aborted).toBe(true);
    expect(llm.calls[0]!.chunksProduced).toBeLessThan(100);
  });
});
