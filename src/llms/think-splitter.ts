import { InvalidArgumentError } from "../errors/index.js";

/** What one {@link ThinkSplitter.push} produced: reasoning text and answer text (`""` when none). */
export interface ThinkSplit {
  readonly reasoning: string;
  readonly text: string;
}

/** What {@link ThinkSplitter.end} flushed, and whether a think block was left open. */
export interface ThinkSplitEnd extends ThinkSplit {
  /**
   * A think block (opened by the content, or by the prompt with `opened`) never closed: everything after the
   * open tag was reasoning.
   */
  readonly unterminated: boolean;
}

/**
 * Where a {@link ThinkSplitter} is: `"start"` (nothing decided yet: the content so far is empty, whitespace,
 * or a prefix of the open tag; with `opened`, this is already inside the block), `"reasoning"` (inside the
 * opening think block) or `"text"` (the answer).
 */
export type ThinkPhase = "start" | "reasoning" | "text";

/** Options of {@link ThinkSplitter}. */
export interface ThinkSplitterOptions {
  /** The tag that opens the block (default `"<think>"`); non-empty, not starting with whitespace. */
  openTag?: string;
  /** The tag that closes it (default `"</think>"`); non-empty. */
  closeTag?: string;
  /**
   * The prompt already opened the block (e.g. a chat template whose generation prompt ends with `"<think>\n"`):
   * the content starts inside the reasoning, and an open tag the model writes again first is dropped.
   */
  opened?: boolean;
}

const NONE: ThinkSplit = Object.freeze({ reasoning: "", text: "" });

/** Whitespace as the splitter skips it: ASCII whitespace, NBSP and BOM. */
function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0xfeff;
}

/** The index of the first non-whitespace character of `s` at or after `from` (`s.length` if none). */
function skipSpace(s: string, from: number): number {
  let i = from;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i;
}

/** Where a proper prefix of `tag` starts at the end of `s` (the longest one), or `s.length` when none does. */
function partialTagAt(s: string, tag: string): number {
  const first = tag.charCodeAt(0);
  for (let i = Math.max(0, s.length - tag.length + 1); i < s.length; i++) {
    if (s.charCodeAt(i) !== first) continue;
    let j = 1;
    while (i + j < s.length && s.charCodeAt(i + j) === tag.charCodeAt(j)) j++;
    if (i + j === s.length) return i;
  }
  return s.length;
}

function split(reasoning: string, text: string): ThinkSplit {
  return reasoning === "" && text === "" ? NONE : { reasoning, text };
}

/**
 * Splits a model's streamed content into reasoning and answer text when the content opens with a
 * `<think>…</think>` block, as Qwen3 and DeepSeek-R1 models write it. Incremental and pure: call
 * {@link push} once per provider chunk and {@link end} once after the last.
 *
 * - Only an open tag at the very start of the content (after optional whitespace, which is dropped) opens
 *   reasoning; a `<think>` later in the answer is answer text. Content without the block passes through
 *   unchanged, leading whitespace included.
 * - Tags split across chunks in any way are recognised. Text is held back only while it could still be part
 *   of an incomplete tag (the content so far is whitespace or a prefix of the open tag; or, inside the block,
 *   the reasoning ends with a prefix of the close tag). Anything else is returned by the same `push`.
 * - Leading whitespace of the reasoning and of the answer (models write `"\n"` after `<think>` and `"\n\n"`
 *   after `</think>`) is dropped, so an empty block (`"<think>\n\n</think>\n\n"`) yields no reasoning at all.
 * - A block that never closes stays reasoning to the end: `end()` reports `unterminated: true` and the
 *   answer is empty.
 * - With `opened` (the prompt ends with the open tag, as DeepSeek-R1's and Qwen3-Thinking's templates do), the
 *   content starts inside the block: whatever comes first is reasoning up to the close tag, except an open tag
 *   the model writes again at the very start (after optional whitespace), which is dropped.
 *
 * Once the block is closed (phase `"text"`, leading whitespace past), `push` returns each chunk as is.
 *
 * @example
 * ```ts
 * const splitter = new ThinkSplitter();
 * for (const chunk of ["<th", "ink>\nThe user", " asks.</th", "ink>\n\nParis."]) {
 *   const { reasoning, text } = splitter.push(chunk);
 *   if (reasoning) process.stderr.write(reasoning); // "The user", " asks."
 *   if (text) process.stdout.write(text);           // "Paris."
 * }
 * const last = splitter.end(); // { reasoning: "", text: "", unterminated: false }
 * ```
 */
export class ThinkSplitter {
  private readonly openTag: string;
  private readonly closeTag: string;
  /** The prompt opened the block: content that is not the open tag is reasoning, not text. */
  private readonly opened: boolean;
  private state: ThinkPhase = "start";
  /** "start": the content so far (whitespace, then a prefix of the open tag); "reasoning": a close-tag prefix. */
  private held = "";
  /** "start": how many leading characters of `held` are known to be whitespace. */
  private heldSpace = 0;
  /** Drop the whitespace that opens the reasoning. */
  private trimReasoning = true;
  /** Drop the whitespace that opens the answer (after the close tag). */
  private trimText = false;

  constructor(options: ThinkSplitterOptions = {}) {
    const openTag = options.openTag ?? "<think>";
    const closeTag = options.closeTag ?? "</think>";
    if (typeof openTag !== "string" || openTag === "" || isSpace(openTag.charCodeAt(0))) {
      throw new InvalidArgumentError(
        "openTag",
        "must be a non-empty string that does not start with whitespace",
      );
    }
    if (typeof closeTag !== "string" || closeTag === "") {
      throw new InvalidArgumentError("closeTag", "must be a non-empty string");
    }
    this.openTag = openTag;
    this.closeTag = closeTag;
    this.opened = options.opened === true;
  }

  /** Where the splitter is (see {@link ThinkPhase}). */
  get phase(): ThinkPhase {
    return this.state;
  }

  /** Feeds one chunk of content; returns the reasoning and answer text it releases (`""` for none). */
  push(chunk: string): ThinkSplit {
    if (this.state === "text") {
      if (!this.trimText) return chunk === "" ? NONE : { reasoning: "", text: chunk };
      return split("", this.trimAnswer(chunk));
    }
    if (this.state === "reasoning") return this.pushReasoning(chunk);
    return this.pushStart(chunk);
  }

  /**
   * Ends the content: flushes what was held back (a lone tag prefix such as `"<thi"` is text at the start, and
   * reasoning inside the block or with `opened`) and says whether a think block was left open. Call it once,
   * after the last push.
   */
  end(): ThinkSplitEnd {
    const held = this.held;
    this.held = "";
    this.heldSpace = 0;
    if (this.state === "start" && this.opened) {
      this.state = "reasoning";
      return { reasoning: held.slice(skipSpace(held, 0)), text: "", unterminated: true };
    }
    if (this.state === "reasoning") return { reasoning: held, text: "", unterminated: true };
    if (this.state === "start") this.state = "text";
    return { reasoning: "", text: held, unterminated: false };
  }

  private pushStart(chunk: string): ThinkSplit {
    const s = this.held === "" ? chunk : this.held + chunk;
    const i = skipSpace(s, this.heldSpace);
    if (i === s.length) {
      this.held = s;
      this.heldSpace = s.length;
      return NONE;
    }
    const tag = this.openTag;
    let m = 0;
    while (m < tag.length && i + m < s.length && s.charCodeAt(i + m) === tag.charCodeAt(m)) m++;
    if (m === tag.length) {
      this.held = "";
      this.heldSpace = 0;
      this.state = "reasoning";
      return this.pushReasoning(s.slice(i + m));
    }
    if (i + m === s.length) {
      this.held = s;
      this.heldSpace = i;
      return NONE;
    }
    this.held = "";
    this.heldSpace = 0;
    // Not the open tag. With `opened`, it is the reasoning (its leading whitespace dropped).
    if (this.opened) {
      this.state = "reasoning";
      return this.pushReasoning(i === 0 ? s : s.slice(i));
    }
    // Otherwise, the content is answer text from its first character, whitespace included.
    this.state = "text";
    return { reasoning: "", text: s };
  }

  private pushReasoning(chunk: string): ThinkSplit {
    let s = this.held === "" ? chunk : this.held + chunk;
    this.held = "";
    if (this.trimReasoning) {
      const i = skipSpace(s, 0);
      if (i === s.length) return NONE;
      this.trimReasoning = false;
      if (i > 0) s = s.slice(i);
    }
    const close = this.closeTag;
    const k = s.indexOf(close);
    if (k >= 0) {
      this.state = "text";
      this.trimText = true;
      return split(s.slice(0, k), this.trimAnswer(s.slice(k + close.length)));
    }
    const p = partialTagAt(s, close);
    if (p < s.length) {
      this.held = s.slice(p);
      s = s.slice(0, p);
    }
    return s === "" ? NONE : { reasoning: s, text: "" };
  }

  /** The answer text of `s` once the whitespace that opens the answer is dropped. */
  private trimAnswer(s: string): string {
    const i = skipSpace(s, 0);
    if (i === s.length) return "";
    this.trimText = false;
    return i === 0 ? s : s.slice(i);
  }
}
