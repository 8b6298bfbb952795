import { describe, expect, it } from "vitest";
import { cutsBySentence } from "../../src/ingestion/splitters/text-splits.js";
import { mulberry32 } from "../support/prng.js";

/**
 * The sentence rule stated plainly, as an oracle: the regex run on the slice `[start, end)`, with a lone period
 * not ending a sentence before a lower-case word or after an abbreviation or an initial.
 */
function referenceCuts(text: string, start: number, end: number): number[] {
  const abbreviations = new Set(["dr", "e.g", "etc", "u.s", "mr", "approx"]);
  const slice = text.slice(start, end);
  const cuts: number[] = [];
  for (const m of slice.matchAll(/[.!?…]+["'”’»)\]]*\s+|[。！？]+\s*/g)) {
    const cut = m.index + m[0].length;
    if (cut >= slice.length) break;
    if (slice[m.index] === "." && slice[m.index + 1] !== ".") {
      if (/^\p{Ll}/u.test(slice.slice(cut))) continue;
      const word = /[\p{L}.]*$/u.exec(slice.slice(0, m.index))![0];
      if (/^\p{Lu}$/u.test(word) || abbreviations.has(word.toLowerCase())) continue;
    }
    cuts.push(start + cut);
  }
  return cuts;
}

const PIECES = [
  "Word",
  "word",
  "approximately",
  "Dr",
  "e.g",
  "U.S",
  "J",
  "é",
  "Élan",
  " ",
  "  ",
  "\n",
  "\t",
  "\u00a0",
  ".",
  "...",
  "!",
  "?!",
  "…",
  '"',
  "'",
  "”",
  ")",
  "]",
  "»",
  "。",
  "！",
  "，",
  "42",
];

describe("cutsBySentence", () => {
  it("cuts where the sentence rule applied to the slice [start, end) cuts", () => {
    const rand = mulberry32(2024);
    for (let iter = 0; iter < 3000; iter++) {
      let text = "";
      const n = 1 + Math.floor(rand() * 40);
      for (let i = 0; i < n; i++) text += PIECES[Math.floor(rand() * PIECES.length)];
      let a = Math.floor(rand() * (text.length + 1));
      let b = Math.floor(rand() * (text.length + 1));
      if (a > b) [a, b] = [b, a];
      if (rand() < 0.3) [a, b] = [0, text.length];
      expect(cutsBySentence(text, a, b), JSON.stringify({ text, a, b })).toEqual(referenceCuts(text, a, b));
    }
  });
});
