/**
 * Recognises citation markers (`[1]`, `[1][2]`, `[1, 3]`, `[1-3]`) in an answer as it streams (DESIGN §6).
 * Pure: it only observes the text, one chunk at a time, and never delays or rewrites it.
 *
 * What counts as a citation (each rule has a test in test/citations/citation-parser.test.ts):
 * - A bracket group whose content is one or more items separated by `,`, an item being a number (1 to 6 ASCII
 *   digits, leading zeros allowed: `[01]` is marker 1) or a range `a-b` (`-`, `–` or `—`; `a <= b`, at most
 *   `maxRange` numbers, default 100), spaces allowed around items and separators: `[1]`, `[1,3]`, `[1, 3]`,
 *   `[1-3]`, `[1 – 3]`. A range gives one citation per number. A number repeated in one group is reported once.
 * - Anything else in the brackets makes the whole group not a citation: `[]`, `[note]`, `[1a]`, `[-1]`, `[^1]`,
 *   `[1,]`, `[3-1]`, `[1-999999]` (range too long), `[1234567]` (more than 6 digits), and content longer than
 *   {@link MAX_GROUP_CONTENT} characters.
 * - `[0]` and numbers with no source are reported with `nodeId: null` (never mapped to a wrong source).
 * - `[` directly after an ASCII letter, digit, `_` or `$` (`a[1]`, `x[0]`: code indexing), after `)` (`f()[1]`) or
 *   after a `]` that did not close a citation (`a[i][1]`, `[text][1]` reference links) does not open a citation.
 *   A `[` directly after a citation's `]` does: `[1][2]` is two citations. A `[` after a non-ASCII letter does
 *   (`公司[1]`, `şirketı[1]`): prose without spaces. Option `citeAfterWord: true` also allows `France[1]`.
 * - Nested brackets: the innermost group counts. `[[1]]` is citation 1 with the offsets of the inner `[1]`
 *   (the outer `[` is abandoned when the inner one arrives); `[see [2]]` is citation 2.
 * - Nothing inside code: an inline code span (a run of N backticks up to the next run of exactly N, or the end
 *   of the line, so a stray backtick silences at most its own line) or a fenced block (a run of 3 or more
 *   backticks up to the next run at least as long). `~~~` fences and indented code blocks are not recognised.
 * - Links: `[text](url)` is never a citation (its text is not numeric). `[1](url)` IS reported: the citation is
 *   decided at its `]`, before the next character is seen, so that it can follow the text-delta that completed
 *   it without holding the text back (numeric link text is unusual).
 * - A group still open when the text ends is not reported.
 */

/**
 * One citation marker of the answer. For a group with several numbers (`[1, 3]`, `[1-3]`) each number is its
 * own citation, and all of them carry the offsets of the whole group.
 *
 * @example
 * ```ts
 * // text = "Paris [1, 3]."
 * // -> { marker: 1, nodeId: "a", start: 6, end: 12 }, { marker: 3, nodeId: "c", start: 6, end: 12 }
 * text.slice(c.start, c.end); // "[1, 3]": replace it with links
 * ```
 */
export interface Citation {
  /** The source number as written (1-based; may be 0 or beyond the sources, then `nodeId` is null). */
  marker: number;
  /** The id of the node of source `marker`, or null when there is no such source. */
  nodeId: string | null;
  /** UTF-16 offset of the group's `[` in the whole text (every chunk pushed so far, concatenated). */
  start: number;
  /** UTF-16 offset just after the group's `]`: `text.slice(start, end)` is the whole bracket group. */
  end: number;
}

/**
 * The sources a marker number refers to: the node ids in number order (source `n` is `ids[n - 1]`), or a
 * function giving the node id of source `n` (1-based; called for `n >= 1` only), null when there is none.
 *
 * @example
 * ```ts
 * const byArray: SourceLookup = res.sourceNodes.map((s) => s.node.id);
 * const byFunction: SourceLookup = (n) => res.sourceNodes[n - 1]?.node.id ?? null;
 * ```
 */
export type SourceLookup = readonly string[] | ((n: number) => string | null | undefined);

/**
 * Options of {@link CitationParser} and {@link parseCitations}.
 *
 * @example
 * ```ts
 * new CitationParser(ids, { maxRange: 20, citeAfterWord: true });
 * ```
 */
export interface CitationParserOptions {
  /** The most numbers a range may cover (`[1-100]` is 100); a longer range is not a citation. Default 100. */
  maxRange?: number;
  /**
   * Let a `[` directly after an ASCII letter, digit, `_` or `$` open a citation (`France[1]`). Default false:
   * such brackets are taken as code indexing (`x[0]`). `)` and a non-citation `]` still block it.
   */
  citeAfterWord?: boolean;
}

/**
 * The most characters held between `[` and `]`; a longer bracket content is not a citation. This bounds the
 * parser's state however long the answer is.
 *
 * @example
 * ```ts
 * parseCitations(`[${"1,".repeat(20)}1]`, ids); // [] (41 characters inside the brackets)
 * ```
 */
export const MAX_GROUP_CONTENT = 32;

const MAX_DIGITS = 6;
const TICK = 96; // `
const LB = 91; // [
const RB = 93; // ]
const RP = 41; // )
const NL = 10; // \n
const SPACE = 32;
const COMMA = 44;
const NONE: readonly Citation[] = Object.freeze([]);

// Where the parser is inside a bracket group's content.
const G_START = 0; // before a number (after `[` or `,`)
const G_NUM = 1; // in the first number of an item
const G_AFTER = 2; // spaces after it
const G_DASH = 3; // after the range dash, before the second number
const G_NUM2 = 4; // in a range's second number
const G_AFTER2 = 5; // spaces after it

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isDash(c: number): boolean {
  return c === 45 || c === 0x2013 || c === 0x2014;
}

/** ASCII letter, digit, `_` or `$`: an identifier's last character. */
function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95 || c === 36;
}

/**
 * Finds the citation markers of an answer fed chunk by chunk, reporting each one in the chunk that holds its
 * closing `]`, however the text was split. It never holds text back: pass each chunk on unchanged, then the
 * citations `push` returned. Its state is bounded (a few numbers, at most {@link MAX_GROUP_CONTENT} characters
 * of an open group, never the text), so a huge answer or thousands of markers cost no memory. The rules are in
 * this module's header.
 *
 * @example
 * ```ts
 * const parser = new CitationParser(res.sourceNodes.map((s) => s.node.id));
 * for await (const delta of res.responseGen) {
 *   write(delta);
 *   for (const c of parser.push(delta)) link(c.marker, c.nodeId, c.start, c.end);
 * }
 * parser.end();
 * ```
 */
export class CitationParser {
  private readonly ids: readonly string[] | undefined;
  private readonly find: ((n: number) => string | null | undefined) | undefined;
  private readonly maxRange: number;
  private readonly citeAfterWord: boolean;
  /** Offset of the next character. */
  private pos = 0;
  /** The last character of the previous chunks (-1 before the first). */
  private last = -1;
  /** Offset just after the last citation's `]` (a `[` there may open a group). */
  private citeEnd = -1;
  /** Offset of the open group's `[`, -1 when none is open. */
  private open = -1;
  /** The open group's parse state (G_*), content length, current item and finished items (pairs a, b). */
  private g = G_START;
  private gLen = 0;
  private a = 0;
  private b = 0;
  private digits = 0;
  private readonly items: number[] = [];
  /** 0 outside code, else the length of the backtick run that opened the code span (3+: a fence). */
  private code = 0;
  /** The length of the backtick run being read. */
  private ticks = 0;
  /** Plain text: no group open, not in code, no backtick run (the fast path of `push`). */
  private plain = true;
  private ended = false;

  /** @param sources the node id of each source number (see {@link SourceLookup}). */
  constructor(sources: SourceLookup, options: CitationParserOptions = {}) {
    if (typeof sources === "function") this.find = sources;
    else this.ids = sources;
    this.maxRange = Math.max(1, Math.floor(options.maxRange ?? 100));
    this.citeAfterWord = options.citeAfterWord === true;
  }

  /** Characters observed so far (the offset at which the next chunk starts). */
  get offset(): number {
    return this.pos;
  }

  /** Characters held for a bracket group not closed yet (0 when none is open; at most {@link MAX_GROUP_CONTENT}). */
  get pendingLength(): number {
    return this.open < 0 ? 0 : this.gLen;
  }

  /**
   * Observes the next chunk of the answer. Returns the citations whose closing `]` is in it, in text order
   * (a shared empty array when there are none: do not modify it).
   */
  push(chunk: string): readonly Citation[] {
    // The common case, kept small so that it inlines into the caller: plain text, no bracket, no backtick.
    if (this.plain && chunk.indexOf("[") < 0 && chunk.indexOf("`") < 0 && chunk.length !== 0) {
      this.pos += chunk.length;
      this.last = chunk.charCodeAt(chunk.length - 1);
      return NONE;
    }
    return this.scan(chunk);
  }

  /** The text has ended: a group still open is dropped, not reported (so this returns no citation). */
  end(): readonly Citation[] {
    this.ended = true;
    this.plain = false;
    this.open = -1;
    return NONE;
  }

  /** Reads `chunk`, in any state. */
  private scan(chunk: string): readonly Citation[] {
    if (this.ended) throw new Error("CitationParser: push() after end().");
    const n = chunk.length;
    if (n === 0) return NONE;
    const base = this.pos;
    this.pos = base + n;
    let code = this.code;
    let ticks = this.ticks;
    let open = this.open;
    let plain = code === 0 && ticks === 0 && open < 0;
    let found: Citation[] | undefined;
    for (let i = 0; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (plain && (c > TICK || (c !== LB && c !== TICK))) continue;
      if (c === TICK) {
        open = -1;
        ticks++;
        plain = false;
        continue;
      }
      if (ticks > 0) {
        // A run of backticks has ended: it opens a code span, or closes the open one when its length matches.
        if (code === 0) code = ticks;
        else if (code < 3 ? ticks === code : ticks >= code) code = 0;
        ticks = 0;
      }
      if (code !== 0) {
        if (c === NL && code < 3) code = 0;
        plain = code === 0;
        continue;
      }
      if (open >= 0) {
        const step = this.step(c);
        if (step > 0) continue;
        if (step === 0) {
          found = this.close(open, base + i + 1, found);
          this.citeEnd = base + i + 1;
          open = -1;
          plain = true;
          continue;
        }
        open = -1; // not a citation: `c` is plain text (maybe a new `[`)
      }
      if (c === LB) {
        const p = i > 0 ? chunk.charCodeAt(i - 1) : this.last;
        const may = p === RB ? this.citeEnd === base + i : p !== RP && (this.citeAfterWord || !isWordChar(p));
        if (may) {
          open = base + i;
          this.g = G_START;
          this.gLen = 0;
          this.items.length = 0;
        }
      }
      plain = open < 0;
    }
    this.code = code;
    this.ticks = ticks;
    this.open = open;
    this.plain = plain;
    this.last = chunk.charCodeAt(n - 1);
    return found ?? NONE;
  }

  /** Reads `c` inside an open group: 1 the group goes on, 0 it closed as a citation, -1 it is not a citation. */
  private step(c: number): number {
    const g = this.g;
    if (c === RB) {
      if (g === G_NUM || g === G_AFTER) return this.item(this.a, this.a) ? 0 : -1;
      if (g === G_NUM2 || g === G_AFTER2) return this.item(this.a, this.b) ? 0 : -1;
      return -1;
    }
    if (++this.gLen > MAX_GROUP_CONTENT) return -1;
    const digit = c - 48;
    if (digit >= 0 && digit <= 9) {
      if (g === G_START || g === G_DASH) {
        this.digits = 1;
        if (g === G_START) this.a = digit;
        else this.b = digit;
        this.g = g + 1;
        return 1;
      }
      if (g === G_AFTER || g === G_AFTER2 || ++this.digits > MAX_DIGITS) return -1;
      if (g === G_NUM) this.a = this.a * 10 + digit;
      else this.b = this.b * 10 + digit;
      return 1;
    }
    if (c === SPACE) {
      if (g === G_NUM || g === G_NUM2) this.g = g + 1;
      return 1;
    }
    if (c === COMMA) {
      if (g === G_NUM || g === G_AFTER) {
        this.items.push(this.a, this.a);
      } else if (g === G_NUM2 || g === G_AFTER2) {
        if (!this.item(this.a, this.b)) return -1;
      } else return -1;
      this.g = G_START;
      return 1;
    }
    if (isDash(c) && (g === G_NUM || g === G_AFTER)) {
      this.g = G_DASH;
      return 1;
    }
    return -1;
  }

  /** The node id of source `n`, null when there is none. */
  private lookup(n: number): string | null {
    if (n < 1) return null;
    if (this.ids) return n <= this.ids.length ? (this.ids[n - 1] ?? null) : null;
    return this.find!(n) ?? null;
  }

  /** Adds the item a..b to the open group; false when it is not a valid range. */
  private item(a: number, b: number): boolean {
    if (b < a || b - a + 1 > this.maxRange) return false;
    this.items.push(a, b);
    return true;
  }

  /** The citations of the group that just closed (its numbers in order, each once), appended to `found`. */
  private close(start: number, end: number, found: Citation[] | undefined): Citation[] {
    const out = found ?? [];
    const first = out.length;
    const items = this.items;
    for (let j = 0; j < items.length; j += 2) {
      for (let marker = items[j]!; marker <= items[j + 1]!; marker++) {
        let seen = false;
        for (let k = first; k < out.length && !seen; k++) seen = out[k]!.marker === marker;
        if (!seen) out.push({ marker, nodeId: this.lookup(marker), start, end });
      }
    }
    return out;
  }
}

/**
 * The citations of a whole text: the same as pushing it to a {@link CitationParser} in one chunk (for answers
 * that did not stream, and as the streaming parser's oracle).
 *
 * @example
 * ```ts
 * parseCitations("Paris [1][3].", ["a", "b"]);
 * // [{ marker: 1, nodeId: "a", start: 6, end: 9 }, { marker: 3, nodeId: null, start: 9, end: 12 }]
 * ```
 */
export function parseCitations(
  text: string,
  sources: SourceLookup,
  options?: CitationParserOptions,
): Citation[] {
  const parser = new CitationParser(sources, options);
  const found = [...parser.push(text)];
  parser.end();
  return found;
}
