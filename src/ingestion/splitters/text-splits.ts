/**
 * Boundary finders used by the sentence splitter. Each works on the range `[start, end)` of a text and returns
 * the cut points strictly inside it, so no text is ever lost and every piece keeps its offset in the source.
 *
 * @internal
 */

import { isLetterCodeUnit, isSpaceAt } from "./cl100k-pretokenizer.js";

/**
 * Cuts before every occurrence of `separator`, which stays at the start of the following piece (LlamaIndex's
 * `split_text_keep_separator`).
 */
export function cutsBySeparator(text: string, start: number, end: number, separator: string): number[] {
  const cuts: number[] = [];
  if (separator === "") return cuts;
  let i = text.indexOf(separator, start);
  while (i !== -1 && i + separator.length <= end) {
    if (i > start) cuts.push(i);
    i = text.indexOf(separator, i + separator.length);
  }
  return cuts;
}

/** Abbreviations (lower-case, without their final period) after which a period does not end a sentence. */
const ABBREVIATIONS = new Set([
  "mr",
  "mrs",
  "ms",
  "dr",
  "prof",
  "sr",
  "jr",
  "st",
  "vs",
  "etc",
  "e.g",
  "i.e",
  "cf",
  "al",
  "inc",
  "ltd",
  "co",
  "corp",
  "no",
  "fig",
  "figs",
  "vol",
  "pp",
  "approx",
  "dept",
  "gen",
  "gov",
  "rev",
  "u.s",
  "u.k",
  "a.m",
  "p.m",
]);

/** Sentence-ending punctuation, optional closing quotes/brackets, then whitespace (or CJK full stops). */
const SENTENCE_END = /[.!?…]+["'”’»)\]]*\s+|[。！？]+\s*/g;

/** Length of the longest entry of {@link ABBREVIATIONS}: a longer word is not one. */
const LONGEST_ABBREVIATION = Math.max(...Array.from(ABBREVIATIONS, (word) => word.length));

function isLowerAt(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  if (code < 128) return code >= 0x61 && code <= 0x7a;
  const ch = text[i]!;
  return ch !== ch.toUpperCase() && ch === ch.toLowerCase();
}

/** Whether the period ending at `dot` (exclusive of the period) closes an abbreviation or an initial. */
function isAbbreviation(text: string, start: number, dot: number): boolean {
  let w = dot;
  while (w > start && dot - w <= LONGEST_ABBREVIATION) {
    const code = text.charCodeAt(w - 1);
    if (code === 0x2e || isLetterCode(code)) w--;
    else break;
  }
  if (w === dot || dot - w > LONGEST_ABBREVIATION) return false;
  const word = text.slice(w, dot);
  if (word.length === 1 && /\p{Lu}/u.test(word)) return true; // an initial: "J. R. R. Tolkien"
  return ABBREVIATIONS.has(word.toLowerCase());
}

function isLetterCode(code: number): boolean {
  return code < 128 ? (code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a : isLetterCodeUnit(code);
}

function isSentenceEndCode(code: number): boolean {
  return code === 0x2e || code === 0x21 || code === 0x3f || code === 0x2026;
}

function isCjkEndCode(code: number): boolean {
  return code === 0x3002 || code === 0xff01 || code === 0xff1f;
}

function isCloserCode(code: number): boolean {
  // " ' ” ’ » ) ]
  return (
    code === 0x22 ||
    code === 0x27 ||
    code === 0x201d ||
    code === 0x2019 ||
    code === 0xbb ||
    code === 0x29 ||
    code === 0x5d
  );
}

/**
 * Start of the {@link SENTENCE_END} match that ends at `cut` (exclusive) and starts at or after `from`: back over
 * its whitespace, closing quotes or brackets, and punctuation. Found this way, a match needs no match object.
 */
function sentenceEndStart(text: string, from: number, cut: number): number {
  let i = cut;
  while (i > from && isSpaceAt(text, i - 1)) i--;
  if (i > from && isCjkEndCode(text.charCodeAt(i - 1))) {
    while (i > from && isCjkEndCode(text.charCodeAt(i - 1))) i--;
    return i;
  }
  while (i > from && isCloserCode(text.charCodeAt(i - 1))) i--;
  while (i > from && isSentenceEndCode(text.charCodeAt(i - 1))) i--;
  return i;
}

/**
 * Cuts after each sentence: after `.`, `!`, `?` or `…` (and closing quotes) plus the whitespace that follows,
 * so each sentence keeps its trailing whitespace, as with LlamaIndex's punkt tokenizer. A period after a known
 * abbreviation ("Dr.", "e.g.") or an initial, or followed by a lower-case word, does not end a sentence.
 */
export function cutsBySentence(text: string, start: number, end: number): number[] {
  const cuts: number[] = [];
  // Matching in `text` itself (no slice, no match objects): a match reaching `end` ends the search, as it would
  // at the end of the slice `[start, end)`.
  SENTENCE_END.lastIndex = start;
  let from = start;
  while (SENTENCE_END.test(text)) {
    const cut = SENTENCE_END.lastIndex;
    if (cut >= end) break;
    const index = sentenceEndStart(text, from, cut);
    from = cut;
    // A lone period may close an abbreviation, or be followed by a lower-case word: not a sentence end.
    if (text.charCodeAt(index) === 0x2e && text.charCodeAt(index + 1) !== 0x2e) {
      if (isLowerAt(text, cut) || isAbbreviation(text, start, index)) continue;
    }
    cuts.push(cut);
  }
  return cuts;
}

/**
 * Cuts after each match of `regex` (by default LlamaIndex's clause regex `[^,.;。？！]+[,.;。？！]?`). Text the
 * regex does not match stays attached to the following piece, so nothing is dropped.
 */
export function cutsByRegex(text: string, start: number, end: number, regex: RegExp): number[] {
  const cuts: number[] = [];
  const slice = text.slice(start, end);
  regex.lastIndex = 0;
  for (let m = regex.exec(slice); m !== null; m = regex.exec(slice)) {
    if (m[0].length === 0) {
      regex.lastIndex++;
      continue;
    }
    const cut = m.index + m[0].length;
    if (cut >= slice.length) break;
    if (cuts.length === 0 || cuts[cuts.length - 1] !== start + cut) cuts.push(start + cut);
  }
  return cuts;
}

/**
 * Cuts `[start, end)` into the fewest consecutive pieces of whole code points that each measure at most
 * `limit` (exponential then binary search on `measure`). A single code point over the limit stays one piece.
 */
export function cutsByMeasure(
  text: string,
  start: number,
  end: number,
  limit: number,
  measure: (start: number, end: number) => number,
): number[] {
  const cuts: number[] = [];
  let s = start;
  while (s < end) {
    let good = nextCodePoint(text, s, end);
    if (measure(s, end) <= limit) break;
    let step = Math.max(1, limit);
    let bad = end;
    // Grow until over the limit.
    for (;;) {
      const probe = alignCodePoint(text, Math.min(end, good + step), s);
      if (probe >= end) break;
      if (measure(s, probe) <= limit) {
        good = probe;
        step *= 2;
      } else {
        bad = probe;
        break;
      }
    }
    // Longest fitting prefix in (good, bad).
    while (bad - good > 1) {
      const mid = alignCodePoint(text, (good + bad) >> 1, s);
      if (mid <= good || mid >= bad) break;
      if (measure(s, mid) <= limit) good = mid;
      else bad = mid;
    }
    if (good >= end) break;
    cuts.push(good);
    s = good;
  }
  return cuts;
}

function nextCodePoint(text: string, i: number, end: number): number {
  const code = text.charCodeAt(i);
  return code >= 0xd800 && code <= 0xdbff && i + 2 <= end ? i + 2 : i + 1;
}

/** Moves `i` back off the middle of a surrogate pair (never below `min + 1`). */
function alignCodePoint(text: string, i: number, min: number): number {
  const code = text.charCodeAt(i);
  if (i > min + 1 && code >= 0xdc00 && code <= 0xdfff) return i - 1;
  return i;
}
