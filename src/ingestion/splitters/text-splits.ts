/**
 * Boundary finders used by the sentence splitter. Each works on the range `[start, end)` of a text and returns
 * the cut points strictly inside it, so no text is ever lost and every piece keeps its offset in the source.
 *
 * @internal
 */

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

function isLowerAt(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  if (code < 128) return code >= 0x61 && code <= 0x7a;
  const ch = text[i]!;
  return ch !== ch.toUpperCase() && ch === ch.toLowerCase();
}

/** Whether the period ending at `dot` (exclusive of the period) closes an abbreviation or an initial. */
function isAbbreviation(text: string, start: number, dot: number): boolean {
  let w = dot;
  while (w > start) {
    const code = text.charCodeAt(w - 1);
    if (code === 0x2e || isLetterCode(code)) w--;
    else break;
  }
  const word = text.slice(w, dot);
  if (word.length === 0) return false;
  if (word.length === 1 && /\p{Lu}/u.test(word)) return true; // an initial: "J. R. R. Tolkien"
  return ABBREVIATIONS.has(word.toLowerCase());
}

function isLetterCode(code: number): boolean {
  return ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a) || code > 0xbf;
}

/**
 * Cuts after each sentence: after `.`, `!`, `?` or `…` (and closing quotes) plus the whitespace that follows,
 * so each sentence keeps its trailing whitespace, as with LlamaIndex's punkt tokenizer. A period after a known
 * abbreviation ("Dr.", "e.g.") or an initial, or followed by a lower-case word, does not end a sentence.
 */
export function cutsBySentence(text: string, start: number, end: number): number[] {
  const cuts: number[] = [];
  const slice = text.slice(start, end);
  SENTENCE_END.lastIndex = 0;
  for (let m = SENTENCE_END.exec(slice); m !== null; m = SENTENCE_END.exec(slice)) {
    const cut = m.index + m[0].length;
    if (cut >= slice.length) break;
    // A lone period may close an abbreviation, or be followed by a lower-case word: not a sentence end.
    if (slice.charCodeAt(m.index) === 0x2e && slice.charCodeAt(m.index + 1) !== 0x2e) {
      if (isLowerAt(slice, cut) || isAbbreviation(slice, 0, m.index)) continue;
    }
    cuts.push(start + cut);
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
