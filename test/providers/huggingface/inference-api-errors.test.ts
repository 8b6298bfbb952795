import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AuthenticationError,
  BadRequestError,
  getResponseSynthesizer,
  type LLM,
  MalformedResponseError,
  ModelNotFoundError,
  PermissionDeniedError,
  ProviderConnectionError,
  type ProviderError,
  ProviderServerError,
  ProviderTimeoutError,
  RateLimitError,
  RetrieverQueryEngine,
  StreamInterruptedError,
} from "../../../src/index.js";
import {
  HuggingFaceInferenceAPI,
  type HuggingFaceInferenceAPIOptions,
} from "../../../src/providers/huggingface/index.js";
import { type FakeTGIServer, type FaultConfig, startFakeTGI } from "../../support/fake-tgi/server.js";
import { collect, FixedRetriever, nodes } from "../../support/fixtures.js";

const TOKEN = "hf_" + "streamdexTest0123456789abcdefXYZ";
let server: FakeTGIServer;
beforeAll(async () => {
  server = await startFakeTGI();
});
afterAll(() => server.close());
afterEach(async () => {
  await server.waitFor(() => server.openStreams() === 0);
  server.reset();
});

const llm = (o: HuggingFaceInferenceAPIOptions = {}) =>
  new HuggingFaceInferenceAPI({ endpointUrl: server.baseURL, token: TOKEN, maxRetries: 0, ...o });

const engineFor = (model: LLM) =>
  new RetrieverQueryEngine({
    retriever: new FixedRetriever(nodes(1)),
    responseSynthesizer: getResponseSynthesizer({ streaming: true, llm: model }),
  });

/** Runs a query to its end; returns the error it failed with (from query() or from the stream). */
async function queryError(model: LLM): Promise<unknown> {
  try {
    await collect(await engineFor(model).query("q"));
    return "no error";
  } catch (e) {
    return e;
  }
}

const MODES = [
  { name: "chat", useChat: true, route: "chat" },
  { name: "text generation", useChat: false, route: "generate_stream" },
] as const;

describe.each(MODES)("errors before the first token reject query(): $name", ({ useChat, route }) => {
  const cases: [number, new (...a: never[]) => ProviderError, RegExp][] = [
    [401, AuthenticationError, /HF_TOKEN/],
    [403, PermissionDeniedError, /may not use/],
    [404, ModelNotFoundError, /found nothing at http:\/\/127\.0\.0\.1/],
    [422, BadRequestError, /rejected \(422 validation\): Input validation error/],
    [424, ProviderServerError, /failed during generation/],
    [429, RateLimitError, /the server is overloaded \(429 overloaded\)/],
    [503, ProviderServerError, /the model is still loading .*\(about 20 s more\)/],
    [500, ProviderServerError, /failed on the server/],
  ];
  for (const [status, type, hint] of cases) {
    it(`${status} rejects with ${type.name}, the status and the server's message, never the token`, async () => {
      server.configure({ status, echoKeyInError: true }, route);
      const err = (await engineFor(llm({ useChat }))
        .query("q")
        .catch((e: unknown) => e)) as ProviderError;
      expect(err).toBeInstanceOf(type);
      expect(err.status).toBe(status);
      expect(err.provider).toBe("huggingface");
      expect(err.message).toMatch(hint);
      expect(err.providerMessage).toContain("[redacted]");
      expect(`${err.message} ${err.providerMessage} ${err.stack} ${String(err.cause)}`).not.toContain(TOKEN);
      expect(server.requests).toHaveLength(1);
    });
  }

  it("retries 429 honouring Retry-After, then streams", async () => {
    server.configure({ status: 429, failTimes: 1, retryAfter: "1" }, route);
    const res = await engineFor(llm({ useChat, maxRetries: 2 })).query("q");
    expect((await collect(res)).join("")).toBe(" tok".repeat(16));
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.receivedAt - server.requests[0]!.receivedAt).toBeGreaterThanOrEqual(900);
  });

  it("retries a loading model (503) after its estimated time, and gives up after maxRetries saying so", async () => {
    server.configure({ status: 503, failTimes: 1, estimatedTime: 0.2 }, route);
    await collect(await engineFor(llm({ useChat, maxRetries: 1 })).query("q"));
    expect(server.requests[1]!.receivedAt - server.requests[0]!.receivedAt).toBeGreaterThanOrEqual(900);

    server.reset();
    server.configure({ status: 503, retryAfter: "0" }, route);
    const err = await engineFor(llm({ useChat, maxRetries: 2 }))
      .query("q")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderServerError);
    expect((err as Error).message).toMatch(/still loading.*after 2 retries/);
    expect(server.requests).toHaveLength(3);
  });

  it("does not retry what a retry cannot fix (401), nor honour a signal-less wait after abort", async () => {
    server.configure({ status: 401 }, route);
    await expect(llm({ useChat, maxRetries: 3 }).streamComplete("p")).rejects.toBeInstanceOf(
      AuthenticationError,
    );
    expect(server.requests).toHaveLength(1);
  });
});

describe.each(MODES)("errors in the middle of the stream: $name", ({ useChat }) => {
  async function midStream(config: FaultConfig, o: HuggingFaceInferenceAPIOptions = {}) {
    server.configure({ tokens: ["a", "b", "c", "d"], ...config });
    const err = (await queryError(llm({ useChat, maxRetries: 3, ...o }))) as StreamInterruptedError;
    expect(err).toBeInstanceOf(StreamInterruptedError);
    expect(server.requests).toHaveLength(1);
    return err;
  }

  it("a dropped connection is a ProviderConnectionError with the partial text", async () => {
    const err = await midStream({ dropAfterTokens: 2 });
    expect(err.partialText).toBe("ab");
    expect(err.cause).toBeInstanceOf(ProviderConnectionError);
  });

  it("a malformed SSE event is a MalformedResponseError", async () => {
    const err = await midStream({ malformedAfterTokens: 2 });
    expect(err.partialText).toBe("ab");
    expect(err.cause).toBeInstanceOf(MalformedResponseError);
  });

  it("a stream that ends without its final event is a MalformedResponseError, not a short answer", async () => {
    const err = await midStream({ endWithoutFinal: true });
    expect(err.partialText).toBe("abcd");
    expect(err.cause).toBeInstanceOf(MalformedResponseError);
    expect((err.cause as Error).message).toMatch(/ended before the model finished/);
  });

  it("TGI's in-stream error event is typed by its error_type (overloaded: RateLimitError), never retried", async () => {
    const err = await midStream({ streamError: { afterTokens: 3, type: "overloaded" } });
    expect(err.partialText).toBe("abc");
    expect(err.cause).toBeInstanceOf(RateLimitError);
    expect((err.cause as RateLimitError).providerCode).toBe("overloaded");
  });

  it("a stream that stalls longer than `timeout` is aborted with a timeout error", async () => {
    const err = await midStream({ tokenDelayMs: 5_000 }, { timeout: 300 });
    expect(err.partialText).toBe("a");
    expect(err.cause).toBeInstanceOf(ProviderTimeoutError);
    await server.waitFor(() => server.requests[0]!.clientAborted);
  });
});

describe("other failures", () => {
  it("TGI's validation error at the start of /generate_stream comes from the stream, typed", async () => {
    const small = await startFakeTGI({}, { maxTotalTokens: 40 });
    const model = new HuggingFaceInferenceAPI({
      endpointUrl: small.baseURL,
      useChat: false,
      maxNewTokens: 30,
    });
    const err = (await queryError(model)) as StreamInterruptedError;
    expect(err).toBeInstanceOf(StreamInterruptedError);
    expect(err.partialText).toBe("");
    expect(err.cause).toBeInstanceOf(BadRequestError);
    expect((err.cause as Error).message).toMatch(/must be <= 40/);
    await small.close();
  });

  it("a model without a chat template, with useChat: true, says to pass useChat: false", async () => {
    server.configure({ noChatTemplate: true });
    await expect(llm({ useChat: true }).streamComplete("p")).rejects.toThrow(/useChat: false/);
  });

  it("an unreachable server is a connection error naming the URL", async () => {
    const closed = await startFakeTGI();
    const endpointUrl = closed.baseURL;
    await closed.close();
    for (const useChat of [true, false]) {
      const err = await new HuggingFaceInferenceAPI({ endpointUrl, useChat, maxRetries: 0 })
        .streamComplete("p")
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderConnectionError);
      expect((err as Error).message).toContain(endpointUrl);
      expect((err as Error).message).toMatch(/ECONNREFUSED/);
    }
  });

  it("no headers within `timeout` is a timeout error, and the request is closed", async () => {
    server.configure({ headersDelayMs: 5_000 });
    await expect(llm({ timeout: 100 }).streamComplete("p")).rejects.toBeInstanceOf(ProviderTimeoutError);
    await expect(llm({ timeout: 100, useChat: false }).complete("p")).rejects.toBeInstanceOf(
      ProviderTimeoutError,
    );
    await server.waitFor(() => server.requests.every((r) => r.clientAborted));
  });

  it("non-JSON and truncated JSON answers are MalformedResponseError", async () => {
    server.configure({ truncatedJson: true });
    await expect(llm({ useChat: true }).complete("p")).rejects.toBeInstanceOf(MalformedResponseError);
    await expect(llm({ useChat: false }).complete("p")).rejects.toBeInstanceOf(MalformedResponseError);
    const html = async () => new Response("<html>oops</html>", { headers: { "content-type": "text/html" } });
    for (const useChat of [true, false]) {
      await expect(llm({ useChat, fetch: html }).streamComplete("p")).rejects.toBeInstanceOf(
        MalformedResponseError,
      );
    }
  });
});
