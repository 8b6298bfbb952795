import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  AbortError,
  getResponseSynthesizer,
  InvalidArgumentError,
  type LLM,
  type LLMStreamPart,
  RetrieverQueryEngine,
  StreamInterruptedError,
} from "../../../src/index.js";
import {
  HuggingFaceInferenceAPI,
  type HuggingFaceInferenceAPIOptions,
  MissingDependencyError,
} from "../../../src/providers/huggingface/index.js";
import {
  loadInferenceModule,
  resetInferenceModuleImport,
} from "../../../src/providers/huggingface/inference-api-module.js";
import { type FakeTGIServer, startFakeTGI } from "../../support/fake-tgi/server.js";
import { collect, FixedRetriever, finishParts, nodes, textOfParts } from "../../support/fixtures.js";

const TOKEN = "hf_" + "streamdexTest0123456789abcdefXYZ";
let server: FakeTGIServer;
beforeAll(async () => {
  server = await startFakeTGI();
});
afterAll(() => server.close());
afterEach(async () => {
  await server.waitFor(() => server.openStreams() === 0);
  server.reset();
  vi.unstubAllEnvs();
});

const llm = (o: HuggingFaceInferenceAPIOptions = {}) =>
  new HuggingFaceInferenceAPI({ endpointUrl: server.baseURL, token: TOKEN, maxRetries: 0, ...o });

const engineFor = (model: LLM) =>
  new RetrieverQueryEngine({
    retriever: new FixedRetriever(nodes(1)),
    responseSynthesizer: getResponseSynthesizer({ streaming: true, llm: model }),
  });

async function chunks(stream: AsyncIterable<LLMStreamPart>): Promise<LLMStreamPart[]> {
  const out: LLMStreamPart[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

const MODES = [
  { name: "chat (Messages API)", useChat: true, path: "/v1/chat/completions" },
  { name: "text generation (/generate_stream)", useChat: false, path: "/generate_stream" },
] as const;

describe("HuggingFaceInferenceAPI: options", () => {
  it("needs an endpointUrl or a Hub model id; the router needs an hf_ token, named without its value", () => {
    vi.stubEnv("HF_TOKEN", "");
    vi.stubEnv("HUGGING_FACE_HUB_TOKEN", "");
    expect(() => new HuggingFaceInferenceAPI({})).toThrow(InvalidArgumentError);
    expect(() => new HuggingFaceInferenceAPI({ model: "org/m" })).toThrow(/HF_TOKEN/);
    const err = (() => {
      try {
        new HuggingFaceInferenceAPI({ model: "org/m", token: "sk-" + "not-a-hugging-face-token" });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err?.message).not.toContain("sk-" + "not-a-hugging-face-token");
    expect(() => new HuggingFaceInferenceAPI({ model: "org/m", token: TOKEN, useChat: false })).toThrow(
      /useChat/,
    );
    expect(() => new HuggingFaceInferenceAPI({ endpointUrl: server.baseURL })).not.toThrow();
  });

  it("rejects bad option values at construction", () => {
    expect(() => llm({ endpointUrl: "localhost:8080" })).toThrow(/endpointUrl/);
    expect(() => llm({ temperature: -1 })).toThrow(/temperature/);
    expect(() => llm({ topP: 1.5 })).toThrow(/topP/);
    expect(() => llm({ maxNewTokens: 0 })).toThrow(/maxNewTokens/);
    expect(() => llm({ timeout: 0 })).toThrow(/timeout/);
    expect(() => llm({ maxRetries: 1.5 })).toThrow(/maxRetries/);
    expect(() => llm({ stop: [""] })).toThrow(/stop/);
  });

  it("describes itself in metadata", () => {
    expect(llm({ contextWindow: 8192, maxNewTokens: 100 }).metadata).toEqual({
      model: server.baseURL,
      contextWindow: 8192,
      numOutput: 100,
      isChatModel: true,
    });
    expect(llm({ useChat: false, model: "my/model" }).metadata).toMatchObject({
      model: "my/model",
      isChatModel: false,
    });
  });

  it("reads HF_TOKEN by default, and sends no Authorization without a token", async () => {
    vi.stubEnv("HF_TOKEN", TOKEN);
    await new HuggingFaceInferenceAPI({ endpointUrl: server.baseURL }).complete("hi");
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    vi.stubEnv("HF_TOKEN", "");
    vi.stubEnv("HUGGING_FACE_HUB_TOKEN", "");
    await new HuggingFaceInferenceAPI({ endpointUrl: server.baseURL, useChat: false }).complete("hi");
    expect(server.requests[1]!.headers.authorization).toBeUndefined();
  });

  it("sends the generation settings: chat body, and TGI's parameters (temperature 0 = greedy)", async () => {
    const o = { maxNewTokens: 7, temperature: 0.5, topP: 0.9, stop: ["\n\n"], extraParams: { seed: 1 } };
    await llm(o).complete("hi");
    expect(server.requests[0]!.body).toEqual({
      model: "tgi",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 7,
      temperature: 0.5,
      top_p: 0.9,
      stop: ["\n\n"],
      seed: 1,
    });
    await llm({ ...o, temperature: 0, useChat: false, model: "my/lora" }).complete("hi");
    expect(server.requests[1]!.body).toEqual({
      inputs: "hi",
      parameters: {
        max_new_tokens: 7,
        do_sample: false,
        top_p: 0.9,
        stop: ["\n\n"],
        return_full_text: false,
        details: true,
        seed: 1,
      },
    });
  });

  it("without @huggingface/inference installed, says what to install", async () => {
    resetInferenceModuleImport();
    const missing = Object.assign(new Error("Cannot find package '@huggingface/inference' imported from x"), {
      code: "ERR_MODULE_NOT_FOUND",
    });
    await expect(loadInferenceModule(() => Promise.reject(missing))).rejects.toBeInstanceOf(
      MissingDependencyError,
    );
    resetInferenceModuleImport();
  });
});

describe.each(MODES)("HuggingFaceInferenceAPI over a real HTTP exchange: $name", ({ useChat, path }) => {
  it("streams one delta per server event through a streaming query engine, skipping the EOS token", async () => {
    server.configure({ tokens: ["Hel", "lo", ", wor", "ld"] });
    const res = await engineFor(llm({ useChat })).query("What?");
    expect(await collect(res)).toEqual(["Hel", "lo", ", wor", "ld"]);
    expect(res.responseTxt).toBe("Hello, world");
    const final = await res.getResponse();
    expect(final.response).toBe("Hello, world");
    expect(final.usage).toMatchObject({ completionTokens: 5 });
    expect(final.usage!.promptTokens).toBeGreaterThan(10);
    expect(final.usage!.totalTokens).toBe(final.usage!.promptTokens + 5);
    expect(server.requests.map((r) => r.path)).toEqual([path]);
  });

  it("reports the finish reason and usage on the last chunks; length when cut by maxNewTokens", async () => {
    server.configure({ tokens: ["a", "b", "c"] });
    const got = await chunks(await llm({ useChat, maxNewTokens: 2 }).streamComplete("p"));
    expect(textOfParts(got)).toBe("ab");
    expect(finishParts(got).find((p) => p.finishReason)?.finishReason).toBe("length");
    expect(finishParts(got).findLast((p) => p.usage)?.usage).toMatchObject({ completionTokens: 2 });
    expect(got.at(-1)?.type).toBe("finish");
  });

  it("query() resolves when the server has accepted the request, before the first token", async () => {
    server.configure({ firstTokenDelayMs: 60_000 });
    const res = await engineFor(llm({ useChat })).query("q");
    expect(server.requests[0]!.headersSentAt).toBeDefined();
    expect(server.requests[0]!.tokensSent).toBe(0);
    await res.cancel();
    await server.waitFor(() => server.requests[0]!.clientAborted);
  });

  it("does not resolve before the server answered", async () => {
    server.configure({ headersDelayMs: 150 });
    let resolved = false;
    const pending = llm({ useChat })
      .streamComplete("p")
      .then((s) => {
        resolved = true;
        return s;
      });
    await server.waitFor(() => server.requests.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(resolved).toBe(false);
    expect(textOfParts(await chunks(await pending))).toBe(" tok".repeat(16));
  });

  it("break closes the HTTP connection: the server sees the client abort", async () => {
    server.configure({ tokens: Array(1000).fill(" t"), tokenDelayMs: 2 });
    const res = await engineFor(llm({ useChat, maxNewTokens: 2000 })).query("q");
    for await (const _ of res) break;
    await server.waitFor(() => server.requests[0]!.clientAborted);
    expect(server.requests[0]!.tokensSent).toBeLessThan(1000);
  });

  it("an aborted signal closes the connection, before the headers and mid-stream", async () => {
    server.configure({ headersDelayMs: 60_000 });
    const ac = new AbortController();
    const pending = engineFor(llm({ useChat })).query("q", { signal: ac.signal });
    await server.waitFor(() => server.requests.length === 1);
    ac.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    await server.waitFor(() => server.requests[0]!.clientAborted);

    server.reset();
    server.configure({ tokenDelayMs: 60_000 });
    const ac2 = new AbortController();
    const res = await engineFor(llm({ useChat })).query("q", { signal: ac2.signal });
    const it = res[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(" tok");
    const next = it.next();
    ac2.abort();
    const err = await next.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).partialText).toBe(" tok");
    await server.waitFor(() => server.requests[0]!.clientAborted);
  });

  it("a stream dropped before it is read still closes its connection", async () => {
    server.configure({ firstTokenDelayMs: 60_000 });
    const stream = await llm({ useChat }).streamComplete("p");
    await stream[Symbol.asyncIterator]().return?.();
    await server.waitFor(() => server.requests[0]!.clientAborted);
  });

  it("a dropped connection mid-stream is a typed error keeping the partial text, never retried", async () => {
    server.configure({ tokens: ["a", "b", "c", "d", "e"], dropAfterTokens: 3 });
    const res = await engineFor(llm({ useChat, maxRetries: 3 })).query("q");
    const err = (await collect(res).catch((e: unknown) => e)) as StreamInterruptedError;
    expect(err).toBeInstanceOf(StreamInterruptedError);
    expect(err.partialText).toBe("abc");
    expect(err.message).toMatch(/not retried/);
    expect(server.requests).toHaveLength(1);
  });

  it("answers non-streaming calls from the non-streaming route, with usage", async () => {
    server.configure({ tokens: ["o", "k"] });
    const res = await llm({ useChat }).complete("p");
    expect(res).toMatchObject({ text: "ok", finishReason: "stop", usage: { completionTokens: 3 } });
    const chat = await llm({ useChat }).chat([{ role: "user", content: "p" }]);
    expect(chat.message).toEqual({ role: "assistant", content: "ok" });
    expect(server.requests.map((r) => r.path)).toEqual(
      useChat ? Array(2).fill(path) : ["/generate", "/generate"],
    );
  });
});

describe("HuggingFaceInferenceAPI: choosing the API", () => {
  it("by default falls back to text generation, for good, when the model has no chat template", async () => {
    server.configure({ noChatTemplate: true, tokens: ["x"] });
    const model = llm();
    const res = await engineFor(model).query("q");
    expect(await collect(res)).toEqual(["x"]);
    expect(model.metadata.isChatModel).toBe(false);
    await model.complete("again");
    expect(server.requests.map((r) => r.path)).toEqual([
      "/v1/chat/completions",
      "/generate_stream",
      "/generate",
    ]);
  });

  it("falls back when the server has no Messages API (404), but not with useChat: true", async () => {
    server.configure({ status: 404 }, "chat");
    expect((await llm().complete("p")).text).toBe(" tok".repeat(16));
    await expect(llm({ useChat: true }).complete("p")).rejects.toThrow(/found nothing at/);
    expect(server.requests.map((r) => r.path)).toEqual([
      "/v1/chat/completions",
      "/generate",
      "/v1/chat/completions",
    ]);
  });

  it("serves a Hub model through the Hugging Face router (Messages API, model id, bearer token)", async () => {
    vi.stubEnv("HF_TOKEN", TOKEN);
    const seen: string[] = [];
    const viaFake: typeof fetch = (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      seen.push(url);
      return fetch(url.replace("https://router.huggingface.co", server.baseURL), init);
    };
    const model = new HuggingFaceInferenceAPI({ model: "meta-llama/Llama-3.1-8B-Instruct", fetch: viaFake });
    expect(model.metadata.model).toBe("meta-llama/Llama-3.1-8B-Instruct");
    server.configure({ tokens: ["r"] });
    expect(textOfParts(await chunks(await model.streamComplete("p")))).toBe("r");
    expect(seen).toEqual(["https://router.huggingface.co/v1/chat/completions"]);
    expect(server.requests[0]!.body).toMatchObject({
      model: "meta-llama/Llama-3.1-8B-Instruct",
      stream: true,
    });
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("reads `data: ` with a space and skips keep-alive comments", async () => {
    server.configure({ tokens: ["a", "b"], sseSpace: true, keepAlive: true });
    for (const useChat of [true, false]) {
      expect(textOfParts(await chunks(await llm({ useChat }).streamComplete("p")))).toBe("ab");
    }
  });

  it("a slow reader slows the socket: the server cannot run ahead (text generation)", async () => {
    const big = await startFakeTGI(
      { tokens: Array(20_000).fill("x".repeat(1024)) },
      { maxTotalTokens: 100_000 },
    );
    const model = new HuggingFaceInferenceAPI({
      endpointUrl: big.baseURL,
      useChat: false,
      maxNewTokens: 30_000,
    });
    const it = (await model.streamComplete("p"))[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    await new Promise((r) => setTimeout(r, 200));
    expect(big.requests[0]!.tokensSent).toBeLessThan(10_000);
    expect(big.requests[0]!.backpressureWaits).toBeGreaterThan(0);
    await it.return?.();
    await big.waitFor(() => big.requests[0]!.clientAborted);
    await big.close();
  });
});
