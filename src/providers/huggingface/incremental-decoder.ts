/** Decodes a run of token ids to text (special tokens skipped). */
export type DecodeFn = (tokens: readonly bigint[]) => string;

const REPLACEMENT = "\uFFFD";
/** A UTF-8 character spans at most 4 byte tokens; past that an undecodable byte is passed through. */
const MAX_HELD_TOKENS = 4;

/**
 * Turns generated tokens into text deltas one token at a time, without re-decoding the whole answer (the
 * prefix/read-offset scheme of Hugging Face's text-generation-inference):
 * - the text of a token is its window's decode (a few tokens before it, for SentencePiece's leading-space rules
 *   and byte-level merges) minus the window's decode without it;
 * - a character split across byte tokens is held until complete (the decode ends in U+FFFD), then released whole.
 *
 * Unlike transformers.js's `TextStreamer`, nothing is held back to the end of a word: one token in, its text out.
 */
export class IncrementalDecoder {
  private readonly tokens: bigint[] = [];
  private prefixOffset = 0;
  private readOffset = 0;

  constructor(private readonly decode: DecodeFn) {}

  /** Adds one token; returns the text it completes (`""` while a character is incomplete, or for special tokens). */
  push(token: bigint): string {
    this.tokens.push(token);
    const prefix = this.decodeRange(this.prefixOffset, this.readOffset);
    const full = this.decodeRange(this.prefixOffset, this.tokens.length);
    const held = this.tokens.length - this.readOffset;
    if (full.length > prefix.length && (!full.endsWith(REPLACEMENT) || held >= MAX_HELD_TOKENS)) {
      this.advance();
      return full.slice(prefix.length);
    }
    return "";
  }

  /** Text still held (an incomplete character at the very end), when generation stops. */
  flush(): string {
    if (this.readOffset >= this.tokens.length) return "";
    const prefix = this.decodeRange(this.prefixOffset, this.readOffset);
    const full = this.decodeRange(this.prefixOffset, this.tokens.length);
    this.advance();
    return full.length > prefix.length ? full.slice(prefix.length) : "";
  }

  private advance(): void {
    this.prefixOffset = this.readOffset;
    this.readOffset = this.tokens.length;
  }

  private decodeRange(start: number, end: number): string {
    return end > start ? this.decode(this.tokens.slice(start, end)) : "";
  }
}
