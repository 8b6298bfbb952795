import { InvalidArgumentError } from "../errors/index.js";
import type { LLMMetadata } from "../llms/types.js";
import { Settings } from "../settings/settings.js";
import { splitByTokens, takeTokens } from "../utils/token-cut.js";
import type { Tokenizer } from "../utils/tokenizer.js";
import type { PromptTemplate } from "./prompt-template.js";

/** Options of {@link PromptHelper}. */
export interface PromptHelperOptions {
  /** Tokens the model attends to (prompt + answer). */
  contextWindow: number;
  /** Tokens kept free for the answer. */
  numOutput: number;
  /** Tokenizer to count with (default `Settings.tokenizer`). */
  tokenizer?: Tokenizer;
  /** Text placed between packed chunks (default a blank line). */
  separator?: string;
}

/**
 * Fits retrieved text into an LLM's context window: `repack` packs chunks into as few prompts as fit
 * (`compact`, `tree_summarize`); `truncate` cuts them so that all fit in one (`simple_summarize`).
 *
 * @example
 * ```ts
 * const helper = PromptHelper.fromLLMMetadata(llm.metadata);
 * const packed = helper.repack(DEFAULT_QA_PROMPT, { query }, chunks);
 * ```
 */
export class PromptHelper {
  readonly contextWindow: number;
  readonly numOutput: number;
  readonly separator: string;
  private readonly tokenizer: Tokenizer;

  constructor(options: PromptHelperOptions) {
    this.contextWindow = options.contextWindow;
    this.numOutput = options.numOutput;
    this.tokenizer = options.tokenizer ?? Settings.tokenizer;
    this.separator = options.separator ?? "\n\n";
  }

  static fromLLMMetadata(metadata: LLMMetadata, options: Partial<PromptHelperOptions> = {}): PromptHelper {
    return new PromptHelper({
      contextWindow: metadata.contextWindow,
      numOutput: metadata.numOutput,
      ...options,
    });
  }

  /** Tokens left for `{context}` once the template and its other variables are filled in. */
  availableContextTokens(prompt: PromptTemplate, values: Record<string, string>): number {
    const empty = prompt.format({ ...values, context: "" });
    const available = this.contextWindow - this.numOutput - this.tokenizer.countTokens(empty);
    if (available <= 0) {
      throw new InvalidArgumentError(
        "prompt",
        `the prompt without any context already needs ${this.contextWindow - this.numOutput - available} ` +
          `tokens, more than the LLM's context window leaves (${this.contextWindow} - ${this.numOutput} for ` +
          "the answer). Shorten the question or the template, or use an LLM with a larger context window.",
      );
    }
    return available;
  }

  /** Packs `chunks`, in order, into as few texts as fit the prompt; a chunk too big alone is split by tokens. */
  repack(prompt: PromptTemplate, values: Record<string, string>, chunks: string[]): string[] {
    const budget = this.availableContextTokens(prompt, values);
    const sepTokens = this.tokenizer.countTokens(this.separator) + 1;
    const out: string[] = [];
    let current: string[] = [];
    let used = 0;
    const flush = () => {
      if (current.length > 0) out.push(current.join(this.separator));
      current = [];
      used = 0;
    };
    for (const chunk of chunks) {
      for (const piece of this.splitToFit(chunk, budget)) {
        const tokens = this.tokenizer.countTokens(piece);
        const cost = current.length === 0 ? tokens : tokens + sepTokens;
        if (used + cost > budget) flush();
        current.push(piece);
        used += current.length === 1 ? tokens : cost;
      }
    }
    flush();
    return out;
  }

  /** Cuts each chunk to an equal share of the budget so all of them fit in one prompt. */
  truncate(prompt: PromptTemplate, values: Record<string, string>, chunks: string[]): string[] {
    if (chunks.length === 0) return [];
    const budget = this.availableContextTokens(prompt, values);
    const sepTokens = this.tokenizer.countTokens(this.separator) + 1;
    const share = Math.floor((budget - sepTokens * (chunks.length - 1)) / chunks.length);
    if (share <= 0) {
      throw new InvalidArgumentError(
        "chunks",
        `${chunks.length} chunks cannot share a context of ${budget} tokens. Retrieve fewer nodes ` +
          "(lower similarityTopK) or use the compact or refine mode.",
      );
    }
    return chunks.map((chunk) => takeTokens(chunk, share, this.tokenizer).trimEnd());
  }

  private splitToFit(chunk: string, budget: number): string[] {
    return splitByTokens(chunk, budget, this.tokenizer);
  }
}
