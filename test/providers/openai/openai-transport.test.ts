import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ProviderConnectionError, type ProviderError } from "../../../src/index.js";
import { OpenAI, OpenAIEmbedding } from "../../../src/providers/openai/index.js";
import { type FakeOpenAIServer, startFakeOpenAI } from "../../support/fake-openai/server.js";
import { type ScriptedServer, startScriptedServer } from "../../support/loopback-scripted-server.js";

const KEY = "sk-" + "test-abcdefghijklmnopqrstuvwxyz012345";
let server: FakeOpenAIServer;
let scripted: ScriptedServer;
beforeAll(async () => {
  server = await startFakeOpenAI();
  scripted = await startScriptedServer();
});
afterAll(async () => {
  await server.close();
  await scripted.close();
});
afterEach(() => server.reset());

/** Node's fetch (undici) sends `sec-fetch-mode`; streamdex's transport does not. */
const sentByNodeFetch = (i: number) => server.requests[i]!.headers["sec-fetch-mode"] !== undefined;

describe("OpenAI providers: which transport", () => {
  it("http: base URLs use streamdex's transport; the `fetch` option replaces it", async () => {
    const opts = { apiKey: KEY, baseURL: server.baseURL, maxRetries: 0, dimensions: 8 };
    await new OpenAIEmbedding(opts).getTextEmbedding("a");
    await new OpenAI({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0 }).complete("p");
    expect([sentByNodeFetch(0), sentByNodeFetch(1)]).toEqual([false, false]);
    expect(server.requests[0]!.headers["accept-encoding"]).toBe("gzip, deflate, br");

    const mine = vi.fn((input: string | URL | Request, init?: RequestInit) => globalThis.fetch(input, init));
    const vector = await new OpenAIEmbedding({ ...opts, fetch: mine }).getTextEmbedding("a");
    expect(mine).toHaveBeenCalledTimes(1);
    expect(sentByNodeFetch(2)).toBe(true);
    expect(vector.length).toBe(8);
  });

  it("https: base URLs keep the SDK's default fetch", () => {
    const llm = new OpenAI({ apiKey: KEY, baseURL: "https://api.example.invalid/v1" });
    expect((llm.client as unknown as { fetch: unknown }).fetch).toBe(globalThis.fetch);
  });
});

describe("OpenAI providers: errors are the same on both transports", () => {
  const transports = { "streamdex's": undefined, "Node's fetch": globalThis.fetch };
  const cases = [
    { status: 401, name: "AuthenticationError" },
    { status: 429, name: "RateLimitError" },
    { status: 500, name: "ProviderServerError" },
  ];

  async function failure(fetch: typeof globalThis.fetch | undefined, status: number): Promise<ProviderError> {
    server.reset();
    server.configure({ status, echoKeyInError: true });
    const llm = new OpenAI({ apiKey: KEY, baseURL: server.baseURL, maxRetries: 0, fetch });
    return (await llm.streamComplete("p").catch((e: unknown) => e)) as ProviderError;
  }

  for (const { status, name } of cases) {
    it(`${status} is ${name} with the same message, status and request id, never the key`, async () => {
      const [ours, node] = [
        await failure(transports["streamdex's"], status),
        await failure(globalThis.fetch, status),
      ];
      expect(ours.constructor.name).toBe(name);
      expect(ours.constructor).toBe(node.constructor);
      expect({ message: ours.message, status: ours.status }).toEqual({
        message: node.message,
        status: node.status,
      });
      expect([ours.requestId, node.requestId]).toEqual([
        expect.stringMatching(/^req_fake_/),
        expect.any(String),
      ]);
      expect(`${ours.message} ${ours.providerMessage}`).not.toContain(KEY);
    });
  }

  it("a socket hang-up and a server closing mid-body are the same ProviderConnectionError, without the key", async () => {
    scripted.respond((req, res) => {
      if (req.url === "/v1/chat/completions") {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { "content-type": "application/json", "content-length": "100000" });
      res.write(`{"object":"list","data":[{"index":0,"embedding":"${"A".repeat(1000)}`, () =>
        res.socket?.destroy(),
      );
    });
    const messages: string[][] = [];
    for (const fetch of Object.values(transports)) {
      const opts = { apiKey: KEY, baseURL: `${scripted.origin}/v1`, maxRetries: 0, fetch };
      const hangUp = await new OpenAI(opts).complete("p").catch((e: unknown) => e);
      const cut = await new OpenAIEmbedding(opts).getTextEmbedding("a").catch((e: unknown) => e);
      for (const err of [hangUp, cut]) {
        expect(err).toBeInstanceOf(ProviderConnectionError);
        expect((err as Error).message).toContain(`${scripted.origin}/v1`);
        expect((err as Error).message).not.toContain(KEY);
      }
      messages.push([(hangUp as Error).message, (cut as Error).message]);
    }
    expect(messages[0]).toEqual(messages[1]);
  });
});
