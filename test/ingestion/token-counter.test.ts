import { describe, expect, it } from "vitest";
import { MAX_WASM_TEXT } from "../../src/ingestion/splitters/cl100k-wasm-scanner.js";
import { createCl100kCounter, type WasmScanMode } from "../../src/ingestion/splitters/token-counter.js";
import { defaultTokenizer } from "../../src/utils/tokenizer.js";
import { mulberry32 } from "../support/prng.js";

const tokenizer = defaultTokenizer();
const count = (text: string): number => tokenizer.countTokens(text);

/** Deterministic pseudo-words: enough distinct pre-tokens to fill and reset the caches. */
function words(n: number, seed: number): string {
  const out: string[] = [];
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const len = 2 + (x % 9);
    let w = "";
    for (let k = 0; k < len; k++) w += String.fromCharCode(97 + ((x >>> (k * 3)) % 26));
    out.push(i % 11 === 0 ? `${w}.` : w);
  }
  return out.join(" ");
}

/** Pieces that exercise every branch of the cl100k pre-tokenizer, ASCII and not. */
const ALPHABET = [
  "a",
  "B",
  "word",
  " ",
  "  ",
  "\n",
  "\r\n",
  "\t",
  "'s",
  "'LL",
  "'ve",
  "'x",
  "12",
  "3456",
  "é",
  "中",
  "😀",
  "\ud83d",
  ".",
  ",!",
  "--",
  "\u00a0",
  "\u2003",
  "²",
  "(x)",
  "“q”",
];

function randomText(rand: () => number, pieces: number): string {
  let text = "";
  for (let i = 0; i < pieces; i++) text += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return text;
}

describe.each<WasmScanMode>(["always", "off"])("cl100k token counter (WebAssembly: %s)", (mode) => {
  it("counts ranges exactly as the cl100k tokenizer counts their text", () => {
    const counter = createCl100kCounter(tokenizer, mode);
    expect(counter.backend).toBe(mode === "off" ? "js" : "wasm");
    const rand = mulberry32(99);
    for (let iter = 0; iter < 400; iter++) {
      const text = randomText(rand, 1 + Math.floor(rand() * 60));
      expect(counter.countText(text)).toBe(count(text));
      const ranges = counter.forText(text);
      expect(ranges.count(0, text.length)).toBe(count(text));
      for (let k = 0; k < 5; k++) {
        let a = Math.floor(rand() * (text.length + 1));
        let b = Math.floor(rand() * (text.length + 1));
        if (a > b) [a, b] = [b, a];
        expect(ranges.count(a, b)).toBe(b > a ? count(text.slice(a, b)) : 0);
      }
    }
  });

  it("counts long letter runs (past the cache's 48 and BPE's 2048 code units) as the JavaScript counter does", () => {
    const counter = createCl100kCounter(tokenizer, mode);
    const reference = createCl100kCounter(tokenizer, "off");
    for (const text of ["x".repeat(47), "ab".repeat(30), ` ${"q".repeat(300)}.`, `${"z".repeat(3000)} end`]) {
      expect(counter.countText(text)).toBe(reference.countText(text));
      expect(counter.forText(text).count(1, text.length - 1)).toBe(
        reference.forText(text).count(1, text.length - 1),
      );
    }
    expect(counter.countText("ab".repeat(30))).toBe(count("ab".repeat(30)));
  });

  it("stays exact while its caches grow past their size and are cleared, across documents", () => {
    const counter = createCl100kCounter(tokenizer, mode);
    const a = words(60_000, 7);
    const b = words(3_000, 99);
    expect(counter.countText(a)).toBe(count(a));
    const ra = counter.forText(a);
    expect(ra.count(100, 5_000)).toBe(count(a.slice(100, 5_000)));
    const rb = counter.forText(b);
    for (const [s, e] of [
      [0, b.length],
      [17, 2_003],
      [500, 501],
    ] as const) {
      expect(rb.count(s, e)).toBe(count(b.slice(s, e)));
    }
    expect(counter.countText(a)).toBe(count(a));
  });

  it("keeps a range counter exact after another text was counted", () => {
    const counter = createCl100kCounter(tokenizer, mode);
    const text = words(2_000, 3);
    const ranges = counter.forText(text);
    counter.countText(words(1_000, 4));
    expect(ranges.count(10, 4_000)).toBe(count(text.slice(10, 4_000)));
  });
});

describe("cl100k WebAssembly scanner", () => {
  it("hands texts longer than it holds to JavaScript, with the same counts", () => {
    const text = `${"Lorem ipsum, dolor sit amet: café 42. ".repeat(MAX_WASM_TEXT / 38)} tail`;
    expect(text.length).toBeGreaterThan(MAX_WASM_TEXT);
    const wasm = createCl100kCounter(tokenizer, "always");
    const js = createCl100kCounter(tokenizer, "off");
    expect(wasm.countText(text)).toBe(js.countText(text));
    expect(wasm.forText(text).count(1_000, text.length - 3)).toBe(
      js.forText(text).count(1_000, text.length - 3),
    );
  });
});
