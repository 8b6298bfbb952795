import { describe, expect, it } from "vitest";
import {
  type EmbeddingsRequestBody,
  encodeEmbeddingsBody,
} from "../../../src/providers/openai/embeddings-request.js";
import { jsonArrayBytes, MAX_WASM_JSON_STRING } from "../../../src/providers/openai/json-string-writer.js";
import { mulberry32 } from "../../support/prng.js";

/** What `JSON.stringify` would have sent. */
const reference = (body: EmbeddingsRequestBody): Buffer => Buffer.from(JSON.stringify(body));

/** Every kind of code unit the escaper treats differently, and the UTF-8 lengths 1 to 4. */
const ALPHABET = [
  ...Array.from({ length: 32 }, (_, c) => String.fromCharCode(c)),
  '"',
  "\\",
  "/",
  "\u007f",
  "a",
  "Z",
  " ",
  "é",
  "€",
  "\u2028",
  "😀",
  "\ud83d", // lone high surrogate
  "\ude00", // lone low surrogate
];

function randomText(random: () => number, length: number, alphabet: readonly string[]): string {
  let text = "";
  for (let i = 0; i < length; i++) {
    // Mostly plain letters, so 16-byte blocks both with and without escapes occur.
    text +=
      random() < 0.8
        ? "abcdefghij"[Math.floor(random() * 10)]
        : alphabet[Math.floor(random() * alphabet.length)];
  }
  return text;
}

describe("encodeEmbeddingsBody", () => {
  it("writes exactly JSON.stringify's bytes for any input (control characters, quotes, UTF-8, lone surrogates)", () => {
    const random = mulberry32(2026);
    for (let trial = 0; trial < 400; trial++) {
      const input = Array.from({ length: 1 + Math.floor(random() * 6) }, () =>
        randomText(random, Math.floor(random() * 70), ALPHABET),
      );
      const body: EmbeddingsRequestBody = {
        model: trial % 7 === 0 ? 'my "model"\n' : "text-embedding-3-small",
        input,
        encoding_format: trial % 2 ? "base64" : "float",
        ...(trial % 3 ? { dimensions: 256 } : {}),
      };
      expect(encodeEmbeddingsBody(body).equals(reference(body)), JSON.stringify(input)).toBe(true);
    }
  });

  it("handles empty strings, an empty batch, every length around a 16-byte block, and growing lengths", () => {
    const bodies: EmbeddingsRequestBody[] = [
      { model: "m", input: [], encoding_format: "base64" },
      { model: "m", input: ["", "", ""], encoding_format: "base64" },
    ];
    for (let n = 0; n <= 48; n++) {
      for (const last of ["x", "\n", '"', "é"]) {
        bodies.push({
          model: "m",
          input: ["a".repeat(n) + last, last + "b".repeat(n)],
          encoding_format: "base64",
        });
      }
    }
    // Longer and longer strings grow the WebAssembly area; control characters are the widest escape (6 bytes).
    bodies.push({
      model: "m",
      input: [`${"x".repeat(5000)}\n`, "é".repeat(9000), "\u0001".repeat(20_000), "😀".repeat(30_000), "z"],
      encoding_format: "base64",
    });
    for (const body of bodies) expect(encodeEmbeddingsBody(body).equals(reference(body))).toBe(true);
  });

  it("grows its buffer when escapes and multi-byte characters outgrow the first estimate", () => {
    // Each control character becomes six bytes and each "€" three: far over one byte per code unit.
    const input = Array.from({ length: 300 }, (_, i) => "\u0001€".repeat(50 + i));
    const body: EmbeddingsRequestBody = { model: "m", input, encoding_format: "base64", dimensions: 8 };
    expect(encodeEmbeddingsBody(body).equals(reference(body))).toBe(true);
  });

  it("writes strings too long for the WebAssembly area through JSON.stringify, between ones that are not", () => {
    const random = mulberry32(7);
    const long = randomText(random, MAX_WASM_JSON_STRING + 1, ALPHABET);
    const body: EmbeddingsRequestBody = {
      model: "m",
      input: ["before\n", long, "after\t", long.slice(0, MAX_WASM_JSON_STRING)],
      encoding_format: "base64",
    };
    expect(encodeEmbeddingsBody(body).equals(reference(body))).toBe(true);
  });
});

describe("jsonArrayBytes", () => {
  it("puts the head and tail around the array as given", () => {
    expect(jsonArrayBytes("[1,", ["a\nb", "c"], "]").toString()).toBe('[1,["a\\nb","c"]]');
    expect(jsonArrayBytes("", [], "").toString()).toBe("[]");
  });
});
