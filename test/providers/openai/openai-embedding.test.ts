import OpenAIClient, { AzureOpenAI } from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AuthenticationError,
  Document,
  InvalidArgumentError,
  StreamingResponse,
  VectorStoreIndex,
} from "../../../src/index.js";
import { OpenAI, OpenAIEmbedding, type OpenAIEmbeddingOptions } from "../../../src/providers/openai/index.js";
import { type FakeOpenAIServer, startFakeOpenAI } from "../../support/fake-openai/server.js";

const KEY = "sk-" + "test-abcdefghijklmnopqrstuvwxyz012345";
let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(() => server.close());
afterEach(() => server.reset());

const embed = (o: OpenAIEmbeddingOptions = {}) =>
  new OpenAIEmbedding({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0, ...o });
const texts = (n: number) => Array.from({ length: n }, (_, i) => `passage number ${i}`);

describe("OpenAIEmbedding", () => {
  it("batches inputs, keeps order, and decodes base64 straight into Float32Array", async () => {
    const model = embed({ embedBatchSize: 4, dimensions: 64 });
    const vectors = await model.getTextEmbeddings(texts(10));
    expect(server.requests.map((r) => (r.body as { input: string[] }).input.length)).toEqual([4, 4, 2]);
    expect(server.requests[0]!.body).toMatchObject({ encoding_format: "base64", dimensions: 64 });
    expect(server.requests[0]!.headers["content-type"]).toBe("application/json");
    expect(vectors).toHaveLength(10);
    expect(vectors[0]).toBeInstanceOf(Float32Array);
    expect(vectors[0]!.length).toBe(64);
    // Same text, same vector, whatever the batch: order is kept.
    expect(await model.getTextEmbedding("passage number 7")).toEqual(vectors[7]);
    const asFloats = await embed({ dimensions: 64, encodingFormat: "float" }).getTextEmbedding(
      "passage number 7",
    );
    expect(asFloats).toEqual(vectors[7]);
  });

  it("a query's usage is counted with cl100k: exact for OpenAI's models, estimated for any other", async () => {
    const query = "Who kept the lighthouse?";
    const { defaultTokenizer } = await import("../../../src/utils/tokenizer.js");
    const tokens = defaultTokenizer().countTokens(query);
    for (const [model, expected] of [
      ["text-embedding-3-small", { tokens }],
      ["nomic-embed-text", { tokens, estimated: true }],
    ] as const) {
      const seen: unknown[] = [];
      await embed({ model }).getQueryEmbedding(query, { onUsage: (u) => seen.push(u) });
      expect(seen).toEqual([expected]);
    }
  });

  it("keeps at most maxConcurrency requests in flight", async () => {
    server.configure({ headersDelayMs: 30 });
    await embed({ embedBatchSize: 1, maxConcurrency: 2 }).getTextEmbeddings(texts(6));
    const spans = server.requests.map((r) => [r.receivedAt, r.headersSentAt!] as const);
    const maxOverlap = Math.max(
      ...spans.map(([start]) => spans.filter(([s, e]) => s <= start && start < e).length),
    );
    expect(maxOverlap).toBe(2);
  });

  it("rejects an input over the model's limit with an error naming it, before any request", async () => {
    const err = await embed({ maxInputTokens: 50 })
      .getTextEmbeddings(["short", "word ".repeat(200)])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(/input 1 has \d+ tokens, over .* limit of 50/);
    expect(server.requests).toHaveLength(0);
  });

  it("can embed a long input in pieces that each fit, never truncating it", async () => {
    server.configure({ maxInputTokens: 70 }, "embeddings"); // the whole input (~250) would not fit
    const [v] = await embed({ maxInputTokens: 50, longInputs: "split", dimensions: 8 }).getTextEmbeddings([
      "word ".repeat(200),
    ]);
    const inputs = (server.requests[0]!.body as { input: string[] }).input;
    expect(inputs.length).toBeGreaterThan(3);
    expect(inputs.join("")).toBe("word ".repeat(200));
    const norm = Math.sqrt(v!.reduce((s, x) => s + x * x, 0));
    expect(norm).toBeCloseTo(1, 5);
  });

  it("retries like the LLM, resending the same body, and types its errors", async () => {
    server.configure({ status: 429, failTimes: 1, retryAfter: "0" }, "embeddings");
    await embed({ maxRetries: 1 }).getTextEmbedding('x\n"y"');
    expect(server.requests).toHaveLength(2);
    expect(server.requests.map((r) => (r.body as { input: string[] }).input)).toEqual([
      ['x\n"y"'],
      ['x\n"y"'],
    ]);
    server.reset();
    server.configure({ status: 401 }, "embeddings");
    await expect(embed().getTextEmbedding("x")).rejects.toBeInstanceOf(AuthenticationError);
  });

  it("a client the user passed gets the body as an object, so an Azure client routes by model", async () => {
    const azure = new AzureOpenAI({
      endpoint: server.baseURL.replace(/\/v1$/, ""),
      apiKey: KEY,
      apiVersion: "2024-10-21",
      maxRetries: 0,
    });
    await expect(embed({ client: azure, model: "my-deployment" }).getTextEmbedding("x")).rejects.toThrow();
    expect(server.requests.map((r) => r.path)).toEqual(["/openai/deployments/my-deployment/embeddings"]);
    expect(server.requests[0]!.body).toMatchObject({ model: "my-deployment", input: ["x"] });
    server.reset();
    const plain = new OpenAIClient({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 });
    const vector = await embed({ client: plain, dimensions: 16 }).getTextEmbedding("x");
    expect(vector).toEqual(await embed({ dimensions: 16 }).getTextEmbedding("x"));
  });
});

describe("the seed over OpenAI's wire format", () => {
  it("indexes with OpenAIEmbedding and streams an OpenAI answer, sources first", async () => {
    server.configure({ tokens: ["The ", "radio ", "worked."], firstTokenDelayMs: 60_000 }, "chat");
    const index = await VectorStoreIndex.fromDocuments(
      [new Document({ text: "The radio worked." }), new Document({ text: "The boat leaked." })],
      { embedModel: embed({ dimensions: 32 }) },
    );
    const engine = index.asQueryEngine({
      streaming: true,
      similarityTopK: 1,
      llm: new OpenAI({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 }),
    });
    const res = await engine.query("Did the radio work?");
    expect(res).toBeInstanceOf(StreamingResponse);
    expect(res.sourceNodes).toHaveLength(1);
    const chat = server.requests.find((r) => r.route === "chat")!;
    expect(chat.tokensSent).toBe(0);
    expect(JSON.stringify(chat.body)).toContain(res.sourceNodes[0]!.node.text);
    await res.cancel();
    await server.waitFor(() => chat.clientAborted);

    server.configure({ tokens: ["The ", "radio ", "worked."] }, "chat");
    const full = await (await engine.query("Did the radio work?")).getResponse();
    expect(full.response).toBe("The radio worked.");
    expect(full.usage?.completionTokens).toBe(3);
  });
});

describe("query embeddings are coalesced", () => {
  it("concurrent queries share one request; identical ones are embedded once", async () => {
    const model = embed({ dimensions: 16 });
    const vectors = await Promise.all(["a", "b", "a", "c"].map((q) => model.getQueryEmbedding(q)));
    expect(server.requests).toHaveLength(1);
    expect((server.requests[0]!.body as { input: string[] }).input).toEqual(["a", "b", "c"]);
    expect(vectors[0]).toEqual(vectors[2]);
    expect(vectors[0]).not.toEqual(vectors[1]);
  });

  it("aborting one query fails only that query; a failed request fails all of its queries", async () => {
    server.configure({ headersDelayMs: 50 });
    const model = embed({ dimensions: 16 });
    const ac = new AbortController();
    const mine = model.getQueryEmbedding("mine", { signal: ac.signal });
    const other = model.getQueryEmbedding("other");
    ac.abort();
    await expect(mine).rejects.toThrow(/aborted/);
    expect((await other).length).toBe(16);

    server.configure({ status: 500 });
    const both = await Promise.allSettled([model.getQueryEmbedding("x"), model.getQueryEmbedding("y")]);
    expect(both.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  });

  it("can be turned off: each query is its own request", async () => {
    const model = embed({ dimensions: 16, coalesceQueries: false });
    await Promise.all(["a", "b"].map((q) => model.getQueryEmbedding(q)));
    expect(server.requests).toHaveLength(2);
  });
});
