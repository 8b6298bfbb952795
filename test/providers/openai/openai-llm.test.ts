import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  AbortError,
  AuthenticationError,
  BadRequestError,
  InvalidArgumentError,
  type LLMStreamPart,
  MalformedResponseError,
  ModelNotFoundError,
  PermissionDeniedError,
  ProviderConnectionError,
  ProviderError,
  ProviderServerError,
  ProviderTimeoutError,
  RateLimitError,
  StreamInterruptedError,
} from "../../../src/index.js";
import { OpenAI, type OpenAIOptions } from "../../../src/providers/openai/index.js";
import { type FakeOpenAIServer, startFakeOpenAI } from "../../support/fake-openai/server.js";
import { finishParts, textOfParts } from "../../support/fixtures.js";

const KEY = "sk-" + "test-abcdefghijklmnopqrstuvwxyz012345";
let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(() => server.close());
afterEach(() => {
  server.reset();
  vi.unstubAllEnvs();
});

const llm = (o: OpenAIOptions = {}) =>
  new OpenAI({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0, ...o });

async function read(stream: AsyncIterable<LLMStreamPart>): Promise<LLMStreamPart[]> {
  const out: LLMStreamPart[] = [];
  for await (const p of stream) out.push(p);
  return out;
}

/** Each part as its text (a text-delta) or its type (any other part). */
const summary = (parts: LLMStreamPart[]): string[] =>
  parts.map((p) => (p.type === "text-delta" ? p.text : p.type));

describe("OpenAI: options", () => {
  it("needs a key for OpenAI's own API, and says where to put it", () => {
    vi.stubEnv("OPENAI_API_KEY", "");
    vi.stubEnv("OPENAI_BASE_URL", "");
    expect(() => new OpenAI()).toThrow(InvalidArgumentError);
    expect(() => new OpenAI()).toThrow(/OPENAI_API_KEY/);
  });

  it("needs no key for a local server, and reads OPENAI_BASE_URL / OPENAI_API_KEY", async () => {
    vi.stubEnv("OPENAI_API_KEY", "");
    vi.stubEnv("OPENAI_BASE_URL", server.baseURL);
    const local = new OpenAI({ model: "llama3.2", maxRetries: 0 });
    expect((await local.complete("hi")).text).toBe(" tok".repeat(16));
    // An empty key (e.g. OPENAI_API_KEY= in a shell) counts as no key, not as a key.
    await new OpenAI({ apiKey: "", baseURL: server.baseURL, maxRetries: 0 }).complete("hi");
    vi.stubEnv("OPENAI_API_KEY", KEY);
    await new OpenAI({ maxRetries: 0 }).complete("hi");
    expect(server.requests[2]!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("knows common models' context windows, guesses conservatively otherwise, and takes overrides", () => {
    expect(llm({ model: "gpt-4o-mini-2024-07-18" }).metadata).toMatchObject({
      contextWindow: 128_000,
      isChatModel: true,
    });
    expect(llm({ model: "gpt-3.5-turbo-instruct" }).metadata.isChatModel).toBe(false);
    expect(llm({ model: "my-local-model" }).metadata.contextWindow).toBe(4096);
    expect(llm({ model: "my-local-model", contextWindow: 32_000, maxTokens: 100 }).metadata).toMatchObject({
      contextWindow: 32_000,
      numOutput: 100,
    });
  });

  it("rejects bad option values at construction", () => {
    expect(() => llm({ temperature: -1 })).toThrow(/temperature/);
    expect(() => llm({ timeout: 0 })).toThrow(/timeout/);
    expect(() => llm({ maxRetries: 1.5 })).toThrow(/maxRetries/);
    expect(() => llm({ baseURL: "not a url" })).toThrow(/baseURL/);
  });

  it("sends model, temperature, max tokens and extra parameters", async () => {
    await llm({
      model: "gpt-4o",
      temperature: 0.2,
      maxTokens: 5,
      extraParams: { seed: 7, top_p: 0.5 },
    }).complete("hi");
    expect(server.requests[0]!.body).toMatchObject({
      model: "gpt-4o",
      temperature: 0.2,
      max_tokens: 5,
      seed: 7,
      top_p: 0.5,
      messages: [{ role: "user", content: "hi" }],
    });
    await llm({ model: "o3-mini", temperature: 0.2, maxTokens: 5 }).complete("hi");
    expect(server.requests[1]!.body).toMatchObject({ max_completion_tokens: 5 });
    expect(server.requests[1]!.body).not.toHaveProperty("temperature");
  });
});

describe("OpenAI: streaming over a real HTTP exchange", () => {
  it("streams one delta per SSE chunk, asks for usage, and ends with usage and finish reason", async () => {
    server.configure({ tokens: ["Hel", "lo", ", wor", "ld"] });
    const parts = await read(await llm().streamChat([{ role: "user", content: "hi" }]));
    // The role-only first event maps to no part (no empty text-deltas); the finish-reason event and the usage
    // event each map to a finish part.
    expect(summary(parts)).toEqual(["Hel", "lo", ", wor", "ld", "finish", "finish"]);
    expect(finishParts(parts).find((p) => p.finishReason)?.finishReason).toBe("stop");
    expect(parts.at(-1)).toMatchObject({ type: "finish", usage: { completionTokens: 4 } });
    expect(server.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("uses the legacy completions endpoint for completion models", async () => {
    server.configure({ tokens: ["a", "b"] });
    // The finish-reason event (text "") and the usage event (no choice) are finish parts, not empty text-deltas.
    const parts = await read(await llm({ model: "gpt-3.5-turbo-instruct" }).streamComplete("p"));
    expect(summary(parts)).toEqual(["a", "b", "finish", "finish"]);
    expect(finishParts(parts)[0]).toMatchObject({ finishReason: "stop" });
    expect(finishParts(parts)[1]).toMatchObject({ usage: { completionTokens: 2 } });
    expect(server.requests[0]!.path).toBe("/v1/completions");
    expect((await llm({ model: "gpt-3.5-turbo-instruct" }).complete("p")).text).toBe("ab");
  });

  it("resolves once headers arrive, before the first token", async () => {
    server.configure({ firstTokenDelayMs: 60_000 });
    const stream = await llm().streamComplete("p");
    expect(server.requests[0]!.headersSentAt).toBeDefined();
    expect(server.requests[0]!.tokensSent).toBe(0);
    await stream[Symbol.asyncIterator]().return?.();
    await server.waitFor(() => server.requests[0]!.clientAborted);
  });

  it("does not resolve before the server accepted the request", async () => {
    server.configure({ headersDelayMs: 150 });
    let resolved = false;
    const p = llm()
      .streamComplete("p")
      .then((s) => {
        resolved = true;
        return s;
      });
    await server.waitFor(() => server.requests.length === 1);
    expect(resolved).toBe(false);
    // 16 tokens, then the finish-reason and usage events as finish parts (the role-only head maps to none).
    const parts = await read(await p);
    expect(parts.filter((part) => part.type === "text-delta")).toHaveLength(16);
    expect(parts).toHaveLength(18);
  });

  it("break aborts the HTTP request: the server sees the connection close", async () => {
    server.configure({ tokens: Array(1000).fill(" t"), tokenDelayMs: 2 });
    for await (const p of await llm().streamComplete("p")) if (p.type === "text-delta") break;
    await server.waitFor(() => server.requests[0]!.clientAborted);
    expect(server.requests[0]!.tokensSent).toBeLessThan(1000);
  });

  it("an aborted signal aborts the request, before headers and mid-stream", async () => {
    server.configure({ headersDelayMs: 60_000 });
    const ac = new AbortController();
    const p = llm().streamComplete("p", { signal: ac.signal });
    await server.waitFor(() => server.requests.length === 1);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);
    await server.waitFor(() => server.requests[0]!.clientAborted);

    server.reset();
    server.configure({ tokenDelayMs: 60_000 });
    const ac2 = new AbortController();
    const it2 = (await llm().streamComplete("p", { signal: ac2.signal }))[Symbol.asyncIterator]();
    await it2.next();
    const pending = it2.next();
    ac2.abort();
    // Aborted mid-stream (the SDK ends such a stream as if complete): an AbortError, not a malformed answer.
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    await server.waitFor(() => server.requests[0]!.clientAborted);
  });

  it("a slow reader slows the socket: the server cannot run ahead", async () => {
    server.configure({ tokens: Array(20_000).fill("x".repeat(1024)) });
    const it = (await llm().streamComplete("p"))[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    await new Promise((r) => setTimeout(r, 200));
    const sent = server.requests[0]!.tokensSent;
    expect(sent).toBeLessThan(10_000);
    expect(server.requests[0]!.backpressureWaits).toBeGreaterThan(0);
    await it.return?.();
    await server.waitFor(() => server.requests[0]!.clientAborted);
  });
});

describe("OpenAI: errors before the first token", () => {
  const cases: [number, new (...a: never[]) => ProviderError, RegExp][] = [
    [401, AuthenticationError, /OPENAI_API_KEY/],
    [403, PermissionDeniedError, /may not use model/],
    [404, ModelNotFoundError, /Check the model name and baseURL/],
    [429, RateLimitError, /rate limited/],
    [500, ProviderServerError, /failed on the server/],
    [400, BadRequestError, /rejected/],
  ];
  for (const [status, type, hint] of cases) {
    it(`${status} rejects with ${type.name}, the status and the provider's message, never the key`, async () => {
      server.configure({ status, echoKeyInError: true });
      const err = (await llm({ model: "gpt-x" })
        .streamComplete("p")
        .catch((e: unknown) => e)) as ProviderError;
      expect(err).toBeInstanceOf(type);
      expect(err.status).toBe(status);
      expect(err.providerMessage).toBeTruthy();
      expect(err.message).toMatch(hint);
      expect(`${err.message} ${err.providerMessage} ${err.stack}`).not.toContain(KEY);
      expect(err.message).toContain("[redacted]");
    });
  }

  it("retries 429 honouring Retry-After, then succeeds", async () => {
    server.configure({ status: 429, failTimes: 1, retryAfter: "1" }, "chat");
    const parts = await read(await llm({ maxRetries: 2 }).streamComplete("p"));
    expect(textOfParts(parts)).toBe(" tok".repeat(16));
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.receivedAt - server.requests[0]!.receivedAt).toBeGreaterThanOrEqual(900);
  });

  it("retries 5xx up to maxRetries, then rejects with the last error", async () => {
    server.configure({ status: 503, retryAfter: "0" }, "chat");
    await expect(llm({ maxRetries: 2 }).streamComplete("p")).rejects.toThrow(/after 2 retries/);
    expect(server.requests).toHaveLength(3);
  });

  it("never retries after a token was delivered; the error says so and keeps the partial text", async () => {
    const { RetrieverQueryEngine, getResponseSynthesizer } = await import("../../../src/index.js");
    const { FixedRetriever, nodes } = await import("../../support/fixtures.js");
    server.configure({ tokens: ["a", "b", "c", "d", "e"], dropAfterTokens: 3 });
    const engine = new RetrieverQueryEngine({
      retriever: new FixedRetriever(nodes(1)),
      responseSynthesizer: getResponseSynthesizer({ streaming: true, llm: llm({ maxRetries: 3 }) }),
    });
    const res = await engine.query("q");
    const err = (await (async () => {
      for await (const _ of res);
    })().catch((e: unknown) => e)) as StreamInterruptedError;
    expect(err).toBeInstanceOf(StreamInterruptedError);
    expect(err.partialText).toBe("abc");
    expect(err.message).toMatch(/not retried/);
    expect(err.cause).toBeInstanceOf(ProviderError);
    expect(server.requests).toHaveLength(1);
  });

  it("an unreachable server is a connection error naming the URL", async () => {
    const dead = new OpenAI({ baseURL: "http://127.0.0.1:1/v1", maxRetries: 0 });
    const err = await dead.complete("p").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderConnectionError);
    expect((err as Error).message).toContain("http://127.0.0.1:1/v1");
  });

  it("no headers within `timeout` is a timeout error", async () => {
    server.configure({ headersDelayMs: 5_000 });
    await expect(llm({ timeout: 100 }).streamComplete("p")).rejects.toBeInstanceOf(ProviderTimeoutError);
  });
});

describe("OpenAI: malformed and truncated answers", () => {
  async function failure(config: Parameters<FakeOpenAIServer["configure"]>[0]): Promise<unknown> {
    server.configure(config);
    const stream = await llm({ timeout: 300 }).streamComplete("p");
    return read(stream).then(
      () => "no error",
      (e: unknown) => e,
    );
  }

  it("a malformed SSE event is a typed error", async () => {
    expect(await failure({ malformedAfterTokens: 2 })).toBeInstanceOf(MalformedResponseError);
  });

  it("a stream that ends without finish_reason or [DONE] is an error, not a short answer", async () => {
    const err = await failure({ endWithoutDone: true });
    expect(err).toBeInstanceOf(MalformedResponseError);
    expect((err as Error).message).toMatch(/ended before the model finished/);
  });

  it("a dropped connection is a typed error", async () => {
    expect(await failure({ dropAfterTokens: 2 })).toBeInstanceOf(ProviderError);
  });

  it("a stream that stalls longer than `timeout` is aborted with a timeout error", async () => {
    const err = await failure({ tokenDelayMs: 5_000 });
    expect(err).toBeInstanceOf(ProviderTimeoutError);
    await server.waitFor(() => server.requests[0]!.clientAborted);
  });

  it("non-JSON and truncated JSON answers are MalformedResponseError", async () => {
    server.configure({ nonJson: true });
    await expect(llm().complete("p")).rejects.toBeInstanceOf(MalformedResponseError);
    server.configure({ truncatedJson: true });
    await expect(llm().complete("p")).rejects.toBeInstanceOf(MalformedResponseError);
  });
});
