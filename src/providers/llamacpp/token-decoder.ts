import type { LlamaModel, Token } from "node-llama-cpp";

/** What one generated token turned into. */
export interface DecodedToken {
  /** Text safe to hand to the user now (may be `""`: an incomplete UTF-8 character or a possible stop text). */
  text: string;
  /** A stop text was completed: `text` is everything before it, and generation must end. */
  stopped: boolean;
}

/** Tokens of detokenizer context: enough for SentencePiece's leading-space rules and multi-token characters. */
const HISTORY = 16;
/** A UTF-8 character spans at most 4 byte tokens; after that an undecodable byte is passed through. */
const MAX_PARTIAL_TOKENS = 4;
const REPLACEMENT = "\uFFFD";

/**
 * Turns generated tokens into text deltas, one token at a time:
 * - a character split across byte tokens (UTF-8 byte fallback) is held until it is complete;
 * - text that may be the start of a stop text (e.g. `<|im_end|>` spelt out in plain pieces) is held until it is
 *   known not to be; a completed stop text ends generation and is never shown.
 */
export class TokenDecoder {
  private readonly pending: Token[] = [];
  private history: Token[] = [];
  private held = "";

  constructor(
    private readonly model: LlamaModel,
    private readonly stopTexts: readonly string[],
  ) {}

  /** Decodes one more token. */
  push(token: Token): DecodedToken {
    this.pending.push(token);
    const text = this.model.detokenize(this.pending, false, this.history);
    if (text.endsWith(REPLACEMENT) && this.pending.length < MAX_PARTIAL_TOKENS)
      return { text: "", stopped: false };
    this.history = [...this.history, ...this.pending].slice(-HISTORY);
    this.pending.length = 0;
    if (this.stopTexts.length === 0) return { text, stopped: false };
    return this.release(this.held + text);
  }

  /** Text still held back when generation ends for another reason (length, end-of-generation token). */
  flush(): string {
    const rest =
      this.held + (this.pending.length > 0 ? this.model.detokenize(this.pending, false, this.history) : "");
    this.held = "";
    this.pending.length = 0;
    return rest;
  }

  private release(text: string): DecodedToken {
    let cut = -1;
    for (const stop of this.stopTexts) {
      const at = text.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.held = "";
      return { text: text.slice(0, cut), stopped: true };
    }
    const keep = this.possibleStopPrefix(text);
    this.held = text.slice(text.length - keep);
    return { text: text.slice(0, text.length - keep), stopped: false };
  }

  /** Length of the longest suffix of `text` that is a proper prefix of a stop text. */
  private possibleStopPrefix(text: string): number {
    let best = 0;
    for (const stop of this.stopTexts) {
      for (let n = Math.min(stop.length - 1, text.length); n > best; n--) {
        if (text.endsWith(stop.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
