/**
 * The `<think>` handling of the in-process providers (llama.cpp and transformers.js), shared by both: the
 * `thinkTags` option, its default from the model's chat template, and the per-token splitting of a generation
 * into reasoning and text parts with the reasoning tokens counted. Imports nothing from either runtime.
 */
import { InvalidArgumentError } from "../errors/index.js";
import { describe } from "../utils/validate.js";
import { ThinkSplitter, type ThinkSplitterOptions } from "./think-splitter.js";
import type { LLMStreamPart, TokenUsage } from "./types.js";

/**
 * Whether a local model's output is split into reasoning and answer at a `<think>…</think>` block that opens it
 * (Qwen3, DeepSeek-R1 distills, QwQ): `true` splits, `false` leaves the block in the answer text, and
 * `{ open, close }` splits at other tags (e.g. `{ open: "<reasoning>", close: "</reasoning>" }`).
 */
export type ThinkTagsOption = boolean | { open: string; close: string };

/** `finishReason` of a generation that opened a think block and never closed it. */
export const UNTERMINATED_REASONING = "unterminated-reasoning";

const DEFAULT_OPEN = "<think>";

/** Validates the `thinkTags` option (`undefined`: decide from the chat template once the model is loaded). */
export function validateThinkTags(value: unknown): ThinkTagsOption | undefined {
  if (value === undefined || typeof value === "boolean") return value;
  if (value !== null && typeof value === "object") {
    const { open, close } = value as { open?: unknown; close?: unknown };
    if (typeof open !== "string" || open.trim() === "" || open.trimStart() !== open) {
      throw new InvalidArgumentError(
        "thinkTags.open",
        `expected a non-empty tag that does not start with whitespace, such as "<think>"; got ${describe(open)}.`,
      );
    }
    if (typeof close !== "string" || close === "") {
      throw new InvalidArgumentError(
        "thinkTags.close",
        `expected a non-empty tag, such as "</think>"; got ${describe(close)}.`,
      );
    }
    return { open, close };
  }
  throw new InvalidArgumentError(
    "thinkTags",
    `expected true, false or { open: "<think>", close: "</think>" }; got ${describe(value)}.`,
  );
}

/**
 * Whether a chat template writes think tags: its text contains `"<think>"`. `template` is what the model ships
 * (a string, or the named templates of some tokenizers, as a list of `{ name, template }` or a name-to-template
 * object); anything else is no template.
 */
export function templateUsesThinkTags(template: unknown): boolean {
  if (typeof template === "string") return template.includes(DEFAULT_OPEN);
  if (template instanceof Map) return [...template.values()].some(templateUsesThinkTags);
  if (Array.isArray(template)) {
    return template.some((t) => templateUsesThinkTags((t as { template?: unknown } | null)?.template ?? t));
  }
  if (template !== null && typeof template === "object") {
    return Object.values(template).some((t) => typeof t === "string" && templateUsesThinkTags(t));
  }
  return false;
}

/**
 * The tags to split on (splitter options), or `undefined` for no splitting: `thinkTags` when given, else the
 * default tags when the model's chat template uses them.
 */
export function resolveThinkTags(
  option: ThinkTagsOption | undefined,
  chatTemplate: unknown,
): ThinkSplitterOptions | undefined {
  if (option === undefined) return templateUsesThinkTags(chatTemplate) ? {} : undefined;
  if (option === false) return undefined;
  if (option === true) return {};
  return { openTag: option.open, closeTag: option.close };
}

/**
 * Whether a prompt pre-fills the open tag, so the model's output starts inside the reasoning: `promptTail` (the
 * end of the prompt as sent, special tokens spelt out) ends with `tags.openTag` (default `"<think>"`), trailing
 * whitespace ignored. DeepSeek-R1 distills' and Qwen3-Thinking's templates end their generation prompt with
 * `"<think>\n"`. Pass the result as the splitter's `opened`.
 */
export function promptOpensThink(promptTail: string, tags: ThinkSplitterOptions = {}): boolean {
  return promptTail.trimEnd().endsWith(tags.openTag ?? DEFAULT_OPEN);
}

/**
 * How many of a prompt's last tokens to detokenize for {@link promptOpensThink}: enough for the open tag (each
 * of its characters at most a token) and the whitespace after it.
 */
export function promptTailTokens(tags: ThinkSplitterOptions = {}): number {
  return Math.max(8, (tags.openTag ?? DEFAULT_OPEN).length + 4);
}

/**
 * The splitter options for one generation: `tags` with `opened: true` when `promptTail` ends with the open tag
 * (see {@link promptOpensThink}), else `tags` as they are.
 */
export function thinkTagsForPrompt(tags: ThinkSplitterOptions, promptTail: string): ThinkSplitterOptions {
  return promptOpensThink(promptTail, tags) ? { ...tags, opened: true } : tags;
}

/** Where a generation's parts go (the stream's queue). */
export type PartSink = (part: LLMStreamPart) => void;

/**
 * One generation's text, token by token, as parts: each token's text goes through a {@link ThinkSplitter}, giving
 * at most one `reasoning-delta` and one `text-delta` part for that token (in that order: a token holding
 * `</think>` and the start of the answer gives both). Nothing is merged across tokens except what the splitter
 * holds back while a tag is incomplete.
 *
 * It also counts the reasoning tokens: those generated inside the block, its open and close tags included (tokens
 * that only held back whitespace or part of the open tag count once the block is known to open). With `opened`
 * (the prompt opened the block), every token up to and including the one that closes it is a reasoning token.
 */
export class ThinkTokens {
  private readonly splitter: ThinkSplitter;
  /** The prompt opened the block: tokens before it closes are reasoning, whatever they hold. */
  private readonly opened: boolean;
  /** Tokens seen while the splitter had not decided yet (whitespace, a prefix of the open tag). */
  private undecided = 0;
  /** Reasoning tokens so far. */
  reasoningTokens = 0;

  constructor(tags: ThinkSplitterOptions) {
    this.splitter = new ThinkSplitter(tags);
    this.opened = tags.opened === true;
  }

  /** One generated token's text (`""` while the decoder holds it back), given to `push` as parts. */
  token(text: string, raw: unknown, push: PartSink): void {
    this.split(text, raw, push, 1);
  }

  /** Text the decoder held back until the end (of tokens already given to {@link token}), as parts. */
  rest(text: string, push: PartSink): void {
    if (text !== "") this.split(text, undefined, push, 0);
  }

  /** The end of the generation: what was held back, as parts; returns whether a think block was left open. */
  end(push: PartSink): boolean {
    const { reasoning, text, unterminated } = this.splitter.end();
    if (reasoning !== "") push({ type: "reasoning-delta", text: reasoning });
    if (text !== "") push({ type: "text-delta", text });
    return unterminated;
  }

  /** Splits `text`, the text of `tokens` more generated tokens (0: of tokens already counted). */
  private split(text: string, raw: unknown, push: PartSink, tokens: number): void {
    const before = this.splitter.phase;
    if (before === "text" && text === "") return;
    const { reasoning, text: answer } = this.splitter.push(text);
    if (before === "reasoning" || (this.opened && before === "start")) {
      this.reasoningTokens += tokens;
    } else if (before === "start") {
      const after = this.splitter.phase;
      if (after === "start") {
        this.undecided += tokens;
      } else {
        if (after === "reasoning" || reasoning !== "") this.reasoningTokens += this.undecided + tokens;
        this.undecided = 0;
      }
    }
    if (reasoning !== "") push({ type: "reasoning-delta", text: reasoning, raw });
    if (answer !== "") push({ type: "text-delta", text: answer, raw });
  }
}

/**
 * The end of a local model's generation (llama.cpp, transformers.js): the decoder's held-back `rest`, through the
 * think splitter when it is on (its held-back tag text too), then the `finish` part with the usage, its
 * `reasoningTokens` and `"unterminated-reasoning"` when a think block never closed.
 */
export function pushGenerationEnd(
  push: PartSink,
  think: ThinkTokens | undefined,
  rest: string,
  usage: TokenUsage,
  finishReason: string | undefined,
): void {
  let reason = finishReason;
  if (think) {
    think.rest(rest, push);
    if (think.end(push)) reason = UNTERMINATED_REASONING;
    usage.reasoningTokens = think.reasoningTokens;
  } else if (rest !== "") {
    push({ type: "text-delta", text: rest });
  }
  push({ type: "finish", usage, finishReason: reason });
}
