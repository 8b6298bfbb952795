import { describe, expect, it } from "vitest";
import { createCl100kCounter, tokenCounterFor } from "../../src/ingestion/splitters/token-counter.js";
import { defaultTokenizer, type Tokenizer } from "../../src/utils/tokenizer.js";
import { mulberry32 } from "../support/prng.js";

const tokenizer = defaultTokenizer();
/** The reference: gpt-tokenizer's own count of the text. */
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

/** A varied corpus: unicode, numbers, contractions, whitespace runs, special-token text, code and markup. */
const CORPUS = [
  "Hello, world! It's 2024 and we're counting tokens; they'll see, I'd say, you've won, we'RE LOUD.",
  "Numbers: 1 12 123 1234 12345 3.14159 -42 1e10 0x1F ١٢٣٤ ½ ² 10,000,000.",
  "Café naïve résumé — über straße; Ελληνικά κείμενο; русский текст; 日本語のテキスト；中文文本。",
  "Emoji 😀👍🏽 👨‍👩‍👧‍👦 flags 🇹🇷 and a lone surrogate \ud83d here.",
  "Whitespace   runs\t\ttabs\n\n\nnewlines\r\n\r\nCRLF    \u00a0nbsp\u2003em   \n  \n trailing   ",
  "Special text <|endoftext|> and <|fim_prefix|><|fim_middle|><|fim_suffix|> counted as plain text <|endofprompt|>",
  "function f(x) { return x ** 2 >= 10 ? `big $x` : 'small'; } // comment\n<div class=\"a\">&amp;</div>",
  "'s 'S 't 'll 'LL 've 're 'd 'm 'x ''quoted'' don't won't can't y'all 'last-event-id: 3' 'lat 'ver",
  `${"a".repeat(47)} ${"b".repeat(49)} ${"xyz".repeat(40)}`,
  "\n\n\n\n     \t \n",
];

describe("cl100k token counter", () => {
  it("counts a varied corpus exactly as gpt-tokenizer does, whole and in every range", () => {
    const counter = createCl100kCounter(tokenizer);
    for (const text of CORPUS) {
      expect(counter.countText(text)).toBe(count(text));
      const ranges = counter.forText(text);
      for (let a = 0; a <= text.length; a++) {
        for (let b = a; b <= text.length; b += 2)
          expect(ranges.count(a, b)).toBe(b > a ? count(text.slice(a, b)) : 0);
      }
    }
    const all = CORPUS.join("\n\n");
    expect(counter.countText(all)).toBe(count(all));
  });

  it("gives the same counts as the plain count behind the interface, for a tokenizer it does not know", () => {
    const plain: Tokenizer = { ...tokenizer, countTokens: (text) => tokenizer.countTokens(text) };
    const generic = tokenCounterFor(plain);
    const fast = tokenCounterFor(tokenizer);
    for (const text of CORPUS) {
      expect(fast.countText(text)).toBe(generic.countText(text));
      expect(fast.forText(text).count(2, text.length - 1)).toBe(
        generic.forText(text).count(2, text.length - 1),
      );
    }
  });

  it("counts ranges exactly as the cl100k tokenizer counts their text", () => {
    const counter = createCl100kCounter(tokenizer);
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

  it("counts letter runs past the cache's 48 code units exactly, and past 2048 as at least the exact count", () => {
    const counter = createCl100kCounter(tokenizer);
    for (const text of [
      "x".repeat(47),
      "ab".repeat(30),
      ` ${"q".repeat(300)}.`,
      ` ${"word".repeat(500)} end`,
    ]) {
      expect(counter.countText(text)).toBe(count(text));
      expect(counter.forText(text).count(1, text.length - 1)).toBe(count(text.slice(1, -1)));
    }
    const long = `${"z".repeat(3000)} end`;
    expect(counter.countText(long)).toBe(3000 + count(" end")); // its UTF-8 length: an upper bound
    expect(counter.countText(long)).toBeGreaterThanOrEqual(count(long));
  });

  it("stays exact while its caches grow past their size and are cleared, across documents", () => {
    const counter = createCl100kCounter(tokenizer);
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
    const counter = createCl100kCounter(tokenizer);
    const text = words(2_000, 3);
    const ranges = counter.forText(text);
    counter.countText(words(1_000, 4));
    expect(ranges.count(10, 4_000)).toBe(count(text.slice(10, 4_000)));
  });
});
