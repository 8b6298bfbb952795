import { describe, expect, it } from "vitest";
import { tokenCounterFor } from "../../src/ingestion/splitters/token-counter.js";
import { Settings } from "../../src/settings/settings.js";

/** Deterministic pseudo-words: enough distinct pre-tokens to make the cache table grow several times. */
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

describe("cl100k token counter cache", () => {
  it("counts exactly while its table grows, and range counters stay exact across documents", () => {
    const counter = tokenCounterFor(Settings.tokenizer);
    const a = words(20_000, 7);
    const b = words(3_000, 99);
    expect(counter.countText(a)).toBe(Settings.tokenizer.countTokens(a));
    const ra = counter.forText(a);
    expect(ra.count(100, 5_000)).toBe(Settings.tokenizer.countTokens(a.slice(100, 5_000)));
    const rb = counter.forText(b);
    for (const [s, e] of [
      [0, b.length],
      [17, 2_003],
      [500, 501],
    ] as const) {
      expect(rb.count(s, e)).toBe(Settings.tokenizer.countTokens(b.slice(s, e)));
    }
    expect(counter.countText(a)).toBe(Settings.tokenizer.countTokens(a));
  });
});
