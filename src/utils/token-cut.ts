import type { Tokenizer } from "./tokenizer.js";

/**
 * The longest prefix of `text` (cut at a character, preferably at whitespace) that fits in `maxTokens`.
 * It cuts characters, never token slices: decoding a slice of tokens can split a multi-byte character, and
 * BPE re-encoding a decoded slice can come out longer than the slice was.
 */
export function takeTokens(text: string, maxTokens: number, tokenizer: Tokenizer): string {
  if (maxTokens <= 0) return "";
  // Every token is at least one UTF-8 byte, so a text of <= maxTokens bytes always fits.
  if (Buffer.byteLength(text) <= maxTokens || tokenizer.countTokens(text) <= maxTokens) return text;
  // Binary search the longest prefix that fits, in UTF-16 units, never splitting a surrogate pair.
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = safeCut(text, Math.ceil((lo + hi) / 2));
    if (mid <= lo) break;
    if (tokenizer.countTokens(text.slice(0, mid)) <= maxTokens) lo = mid;
    else hi = mid - 1;
  }
  // Back off to a word boundary when one is near (within the last fifth), so words are not cut in half.
  // BPE is not monotonic (a trailing space can be a token of its own), so the shorter cut is checked too.
  const space = text.lastIndexOf(" ", lo - 1);
  if (space > lo * 0.8 && tokenizer.countTokens(text.slice(0, space + 1)) <= maxTokens) {
    return text.slice(0, space + 1);
  }
  return text.slice(0, lo);
}

/** Splits `text` into consecutive pieces of at most `maxTokens` tokens each (see {@link takeTokens}). */
export function splitByTokens(text: string, maxTokens: number, tokenizer: Tokenizer): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > 0) {
    let piece = takeTokens(rest, maxTokens, tokenizer);
    if (piece.length === 0) piece = rest.slice(0, safeCut(rest, 1) || 1); // one character, whatever it costs
    out.push(piece);
    rest = rest.slice(piece.length);
  }
  return out;
}

/** `i`, moved back by one if it would split a surrogate pair. */
function safeCut(text: string, i: number): number {
  if (i <= 0 || i >= text.length) return i;
  const code = text.charCodeAt(i - 1);
  return code >= 0xd800 && code <= 0xdbff ? i - 1 : i;
}
