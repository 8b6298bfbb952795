import { createServer, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { getResponseSynthesizer, type LLM, MockLLM, RetrieverQueryEngine } from "../../src/index.js";
import { OpenAI } from "../../src/providers/openai/index.js";
import { type FakeOpenAIServer, startFakeOpenAI } from "../support/fake-openai/server.js";
import { FixedRetriever, nodes, settle } from "../support/fixtures.js";

/**
 * `pipeToNodeResponse` promises to honour the response's backpressure: with a client that stops reading, it
 * stops pulling the answer, so the provider is read only as fast as the client reads. The client here is a raw
 * socket paused before the response arrives: once the kernel's socket buffers and the response's own buffer
 * are full, `res.write()` returns false and the pipe must wait for `drain`. A pipe that ignored it would pull
 * the whole answer into memory while the client is paused.
 *
 * The bounds are in chunks, not time: loopback socket buffers hold a few MiB (about 4 MiB with Linux's default
 * `tcp_wmem`), so the answers below (64 MiB) are much larger than that, and a pull that stopped short of a
 * fraction of them, and stays stopped, is one that waited for the client.
 */

let server: Server | undefined;
let client: Socket | undefined;
afterEach(async () => {
  client?.destroy();
  client = undefined;
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A node:http server on 127.0.0.1 that answers every request with the engine's answer, piped. */
async function serve(llm: LLM): Promise<{ port: number; responses: ServerResponse[] }> {
  const engine = new RetrieverQueryEngine({
    retriever: new FixedRetriever(nodes(1)),
    responseSynthesizer: getResponseSynthesizer({ streaming: true, llm }),
  });
  const responses: ServerResponse[] = [];
  server = createServer(async (_req, res) => {
    responses.push(res);
    const answer = await engine.query("q");
    await answer.pipeToNodeResponse(res);
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  return { port: (server.address() as AddressInfo).port, responses };
}

/** Sends a GET over a raw socket that reads nothing until resumed. */
function pausedGet(port: number): Socket {
  const socket = connect(port, "127.0.0.1");
  socket.pause();
  socket.write("GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n");
  client = socket;
  return socket;
}

/** Resumes the socket and reads until the server ends the response; returns the raw bytes. */
function readAll(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on("data", (d: Buffer) => chunks.push(d));
  const ended = new Promise<Buffer>((resolve, reject) => {
    socket.once("end", () => resolve(Buffer.concat(chunks)));
    socket.once("error", reject);
  });
  socket.resume();
  return ended;
}

/** How many times `needle` occurs in `haystack` (a scan of the bytes: the bodies here are tens of MiB). */
function count(haystack: Buffer, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** Waits until `read()` stops changing (the same over several macrotask turns), and returns it. */
async function quiet(read: () => number): Promise<number> {
  let last = read();
  for (;;) {
    await settle(10);
    if (read() === last) return last;
    last = read();
  }
}

describe("pipeToNodeResponse: a slow client paces the provider", () => {
  it("a paused client stops the pull from the LLM; everything arrives once it reads", async () => {
    const CHUNK = 64 * 1024;
    const TOTAL = 1024; // 64 MiB, far more than the socket buffers hold
    const llm = new MockLLM({ response: "x".repeat(CHUNK * TOTAL), chunking: CHUNK });
    const { port, responses } = await serve(llm);
    const socket = pausedGet(port);

    // The pipe hits backpressure, then the pull stops for good while the client is paused.
    const call = () => llm.calls[0];
    for (let i = 0; i < 2000 && !responses[0]?.writableNeedDrain && !call()?.finished; i++) await settle(1);
    const pulled = await quiet(() => call()?.chunksProduced ?? 0);
    expect(pulled).toBeGreaterThan(0);
    expect(pulled).toBeLessThan(TOTAL / 4);
    expect(responses[0]!.writableNeedDrain).toBe(true);
    await settle(50);
    expect(call()!.chunksProduced).toBe(pulled);
    expect(call()!.finished).toBe(false);

    const raw = await readAll(socket);
    expect(count(raw, "event: delta\n")).toBe(TOTAL);
    expect(raw.toString("utf8", raw.length - 200)).toMatch(
      /event: done\ndata: \{"finishReason":"stop","timings":\{[^}]*\}\}\n\n\r\n0\r\n\r\n$/,
    );
    expect(llm.calls[0]).toMatchObject({ chunksProduced: TOTAL, finished: true, aborted: false });
  }, 30_000);

  describe("through the OpenAI provider", () => {
    let fake: FakeOpenAIServer;
    beforeAll(async () => {
      fake = await startFakeOpenAI();
    });
    afterAll(() => fake.close());

    it("a paused client stops the provider's socket read: the fake OpenAI server waits for drain", async () => {
      const TOTAL = 4000;
      const token = "y".repeat(16 * 1024); // 64 MiB in all, far more than the two sockets' buffers
      fake.configure({ tokens: Array(TOTAL).fill(token) });
      const llm = new OpenAI({
        apiKey: "sk-test",
        baseURL: fake.baseURL,
        model: "gpt-4o-mini",
        maxRetries: 0,
      });
      const { port, responses } = await serve(llm);
      const socket = pausedGet(port);

      // Our response fills up first; then the provider's stream, unread, fills the fake server's socket.
      await fake.waitFor(() => responses[0]?.writableNeedDrain === true, 20_000);
      const sent = await quiet(() => fake.requests[0]!.tokensSent);
      // Two sockets' buffers (the provider's and the client's) hold about 8 MiB here: an eighth of the answer.
      expect(sent).toBeLessThan(TOTAL / 2);
      expect(fake.requests[0]!.backpressureWaits).toBeGreaterThan(0);
      await settle(50);
      expect(fake.requests[0]!.tokensSent).toBe(sent);
      expect(fake.requests[0]!.finished).toBe(false);

      const raw = await readAll(socket);
      expect(count(raw, "event: delta\n")).toBe(TOTAL);
      expect(count(raw, token)).toBe(TOTAL);
      expect(raw.toString("utf8", raw.length - 200)).toMatch(
        /event: done\ndata: \{"finishReason":"stop","timings":\{[^}]*\}\}\n\n\r\n0\r\n\r\n$/,
      );
      expect(fake.requests[0]).toMatchObject({ tokensSent: TOTAL, finished: true, clientAborted: false });
    }, 60_000);
  });
});
