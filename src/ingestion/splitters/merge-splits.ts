import { isSpaceAt } from "./cl100k-pretokenizer.js";
import { cutsByMeasure } from "./text-splits.js";
import type { RangeCounter } from "./token-counter.js";

/**
 * Consecutive ranges of one text with their token counts (parallel arrays, to keep large documents cheap).
 *
 * @internal
 */
export interface SplitList {
  starts: number[];
  ends: number[];
  tokens: number[];
}

/** What {@link mergeSplits} needs to know. @internal */
export interface MergeOptions {
  text: string;
  counter: RangeCounter;
  /** Maximum tokens per chunk. */
  limit: number;
  /** Tokens of the previous chunk's end to repeat at the start of the next one. */
  overlap: number;
}

/**
 * Merges splits into chunks of at most `limit` tokens, LlamaIndex-style: splits are added while the sum of their
 * counts fits, and each new chunk starts with the previous chunk's last splits worth at most `overlap` tokens.
 * Unlike LlamaIndex, the overlap is shrunk when it would push the next chunk over the limit, and every chunk is
 * measured once on its final (trimmed) text so none can exceed `limit` even where tokens merge across splits.
 *
 * Returns the chunks' `[start, end)` offsets, flattened (`[s0, e0, s1, e1, ...]`), whitespace-trimmed.
 *
 * @internal
 */
export function mergeSplits(splits: SplitList, options: MergeOptions): number[] {
  const { tokens } = splits;
  const { limit, overlap } = options;
  const out: number[] = [];
  const n = tokens.length;
  let a = 0; // first split of the current chunk
  let b = 0; // one past its last split
  let firstNew = 0; // first split that is not overlap
  let curLen = 0;
  let i = 0;
  for (;;) {
    const size = i < n ? tokens[i]! : 0;
    if (b > firstNew && (i === n || curLen + size > limit)) {
      b = emit(splits, options, a, b, firstNew, out);
      // Carry the end of this chunk over as the next one's overlap.
      let start = b;
      let len = 0;
      while (start > a && len + tokens[start - 1]! <= overlap) {
        start--;
        len += tokens[start]!;
      }
      a = start;
      firstNew = b;
      curLen = len;
      i = b;
      continue;
    }
    if (i === n) return out;
    // Drop overlap that would leave no room for this split.
    while (curLen + size > limit && a < b) {
      curLen -= tokens[a]!;
      a++;
    }
    curLen += size;
    b = i + 1;
    i++;
  }
}

/**
 * Emits the chunk of splits `[a, b)` after measuring its trimmed text; when it is over the limit, drops overlap
 * first, then trailing splits (returned for the next chunk: the new `b`), and last cuts a lone split by measure.
 */
function emit(
  splits: SplitList,
  options: MergeOptions,
  a: number,
  b: number,
  firstNew: number,
  out: number[],
): number {
  const { text, counter, limit } = options;
  for (;;) {
    const [s, e] = trim(text, splits.starts[a]!, splits.ends[b - 1]!);
    if (s === e) return b;
    if (counter.count(s, e) <= limit) {
      out.push(s, e);
      return b;
    }
    if (a < firstNew) a++;
    else if (b - 1 > firstNew) b--;
    else {
      const cuts = cutsByMeasure(text, s, e, limit, (x, y) => counter.count(x, y));
      let from = s;
      for (const cut of [...cuts, e]) {
        const [ps, pe] = trim(text, from, cut);
        if (ps < pe) out.push(ps, pe);
        from = cut;
      }
      return b;
    }
  }
}

/** `[start, end)` without leading and trailing whitespace. */
export function trim(text: string, start: number, end: number): [number, number] {
  while (start < end && isSpaceAt(text, start)) start++;
  while (end > start && isSpaceAt(text, end - 1)) end--;
  return [start, end];
}
