import { describe, expect, it } from "vitest";
import { MalformedResponseError, ProviderConnectionError } from "../../../src/index.js";
import { decodeEmbeddingsBody } from "../../../src/providers/openai/embeddings-response.js";
import { mulberry32 } from "../../support/prng.js";

const b64 = (v: number[]): string => Buffer.from(new Float32Array(v).buffer).toString("base64");
const body = (value: unknown): Buffer =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value));
const decode = (value: unknown, inputs: number) =>
  decodeEmbeddingsBody(body(value), inputs, "test embeddings");
const list = (data: unknown[]) => ({
  object: "list",
  data,
  model: "m",
  usage: { prompt_tokens: 3, total_tokens: 3 },
});

describe("decoding an embeddings answer from its bytes", () => {
  it("decodes base64 and float vectors exactly, placed by index in any order, with any key order", () => {
    const rand = mulberry32(3);
    const vectors = Array.from({ length: 5 }, () =>
      Array.from({ length: 7 }, () => Math.fround(rand() * 2 - 1)),
    );
    const data = vectors.map((v, i) =>
      i % 2 === 0
        ? { object: "embedding", index: i, embedding: b64(v) }
        : { embedding: b64(v), object: "embedding", index: i },
    );
    data.reverse();
    const out = decode(list(data), 5);
    expect(out.map((v) => [...v])).toEqual(vectors);
    const floats = decode(list(vectors.map((v, i) => ({ index: i, embedding: v }))), 5);
    expect(floats.map((v) => [...v])).toEqual(vectors);
  });

  it("accepts whitespace, unicode in other fields, and a server that escapes '/' in base64", () => {
    const v = [0.5, -1.25, 3e-7, 1e10];
    const escaped = JSON.stringify(b64(v)).replaceAll("/", "\\/");
    const text = `{\n  "model" : "m\\u00e9 ✓",\n  "data" : [ { "index" : 0 , "embedding" : ${escaped} } ]\n}\n`;
    expect([...decodeEmbeddingsBody(Buffer.from(text), 1, "x")[0]!]).toEqual(v.map(Math.fround));
  });

  it("returns views of one slab, one per input", () => {
    const out = decode(list([0, 1, 2].map((i) => ({ index: i, embedding: b64([i, i + 1]) }))), 3);
    expect(new Set(out.map((v) => v.buffer)).size).toBe(1);
    expect(out.map((v) => v.length)).toEqual([2, 2, 2]);
  });

  const malformed: [string, unknown, number, RegExp][] = [
    ["too few vectors", list([{ index: 0, embedding: b64([1]) }]), 2, /1 vectors for 2 inputs/],
    [
      "too many vectors",
      list([0, 1, 2].map((i) => ({ index: i, embedding: b64([1]) }))),
      2,
      /more than 2 vectors for 2 inputs/,
    ],
    [
      "a duplicate index",
      list([0, 0].map((i) => ({ index: i, embedding: b64([1]) }))),
      2,
      /index 0 appears twice/,
    ],
    ["an index out of range", list([{ index: 3, embedding: b64([1]) }]), 1, /bad index 3/],
    ["a missing index", list([{ embedding: b64([1]) }]), 1, /bad index undefined/],
    [
      "vectors of two lengths",
      list([
        { index: 0, embedding: b64([1, 2]) },
        { index: 1, embedding: b64([1]) },
      ]),
      2,
      /vectors of 2 and 1 values/,
    ],
    [
      "bytes that are not float32",
      list([{ index: 0, embedding: "AAA=" }]),
      1,
      /not a whole number of float32/,
    ],
    ["characters outside base64", list([{ index: 0, embedding: "AAAA*AAAAAAAAAAA" }]), 1, /not valid base64/],
    [
      "a non-number in a float vector",
      list([{ index: 0, embedding: [1, "2"] }]),
      1,
      /holds string at position 1/,
    ],
    [
      "an embedding that is an object",
      list([{ index: 0, embedding: { a: 1 } }]),
      1,
      /neither base64 nor an array/,
    ],
    ["no embedding", list([{ index: 0 }]), 1, /has no "embedding"/],
    ["no data", { error: { message: "quota exceeded" } }, 1, /no "data" array.*quota exceeded/],
    ["truncated JSON", `{"data":[{"index":0,"embedding":"${b64([1])}"`, 1, /malformed answer/],
    ["an unterminated string", `{"data":[{"index":0,"embedding":"AAAA`, 1, /unterminated string/],
    [
      "trailing garbage",
      `${JSON.stringify(list([{ index: 0, embedding: b64([1]) }]))} x`,
      1,
      /after the answer/,
    ],
    ["not JSON at all", "<html>502 Bad Gateway</html>", 1, /expected "\{"/],
    ["an empty body", "", 1, /expected "\{"/],
    ["an invalid value", `{"data":[{"index":01x,"embedding":"${b64([1])}"}]}`, 1, /invalid JSON value/],
  ];
  for (const [what, value, inputs, message] of malformed) {
    it(`names the problem: ${what}`, () => {
      let error: unknown;
      try {
        decode(value, inputs);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(MalformedResponseError);
      expect((error as Error).message).toMatch(/^test embeddings: malformed answer: /);
      expect((error as Error).message).toMatch(message);
    });
  }
});

describe("OpenAIEmbedding on a broken answer (loopback server)", () => {
  /** A server whose /v1/embeddings answer is written by `answer`. */
  async function serve(answer: (res: import("node:http").ServerResponse) => void) {
    const { createServer } = await import("node:http");
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => answer(res));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as import("node:net").AddressInfo;
    const { OpenAIEmbedding } = await import("../../../src/providers/openai/openai-embedding.js");
    const model = new OpenAIEmbedding({
      baseURL: `http://127.0.0.1:${port}/v1`,
      apiKey: "sk-secret-123",
      maxRetries: 0,
    });
    return { model, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  it("a connection cut in the middle of the body is a typed error, not a partial result", async () => {
    const full = JSON.stringify(list([0, 1].map((i) => ({ index: i, embedding: b64([i, 1, 2, 3]) }))));
    const { model, close } = await serve((res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(full.length) });
      res.write(full.slice(0, 40));
      setTimeout(() => res.destroy(), 20);
    });
    try {
      const error = await model.getTextEmbeddings(["a", "b"]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderConnectionError);
      expect((error as Error).message).toMatch(/OpenAI embeddings/);
      expect((error as Error).message).not.toContain("sk-secret-123");
    } finally {
      await close();
    }
  });

  it("a 200 answer that is not an embeddings list is a MalformedResponseError", async () => {
    const { model, close } = await serve((res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"object":"list","data":[{"index":0,"embedding":"AAA="}]}');
    });
    try {
      await expect(model.getTextEmbedding("a")).rejects.toThrow(MalformedResponseError);
    } finally {
      await close();
    }
  });
});
