import { createRequire } from "node:module";

/** Turns text into token ids and back; used to measure chunks and prompts in tokens. */
export interface Tokenizer {
  encode(text: string): number[];
  decode(tokens: number[]): string;
  /** Number of tokens in `text` (may be faster than `encode(text).length`). */
  countTokens(text: string): number;
}

interface EncodeOptions {
  disallowedSpecial?: Set<string>;
}

interface GptTokenizerModule {
  encode(text: string, options?: EncodeOptions): number[];
  decode(tokens: number[]): string;
  countTokens(text: string, options?: EncodeOptions): number;
}

// User text may contain strings like "<|endoftext|>": count them as plain text instead of throwing.
const PLAIN_TEXT: EncodeOptions = { disallowedSpecial: new Set() };

let cached: Tokenizer | undefined;

/**
 * The default tokenizer: OpenAI's `cl100k_base` BPE (what LlamaIndex counts `chunkSize` in), from the
 * `gpt-tokenizer` package. Loaded on first use (about 0.1 s), so importing streamdex stays fast.
 */
export function defaultTokenizer(): Tokenizer {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const mod = require("gpt-tokenizer/encoding/cl100k_base") as GptTokenizerModule;
  cached = {
    encode: (text) => mod.encode(text, PLAIN_TEXT),
    decode: (tokens) => mod.decode(tokens),
    countTokens: (text) => mod.countTokens(text, PLAIN_TEXT),
  };
  return cached;
}

/** Whether `tokenizer` is {@link defaultTokenizer}'s (without loading it). */
export function isDefaultTokenizer(tokenizer: Tokenizer): boolean {
  return cached !== undefined && tokenizer === cached;
}

/** Whether the default tokenizer's data has been loaded (it is loaded on first use, never at import). */
export function isTokenizerLoaded(): boolean {
  return cached !== undefined;
}
