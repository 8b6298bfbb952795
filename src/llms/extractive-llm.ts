import { sleep, throwIfAborted } from "../utils/abort.js";
import { contentWords as words } from "../utils/text.js";
import { BaseLLM } from "./base-llm.js";
import type { LLMCallOptions, LLMMetadata, LLMStream, LLMStreamPart } from "./types.js";

/** Options of {@link ExtractiveLLM}. */
export interface ExtractiveLLMOptions {
  /** Sentences quoted per answer (default 3). */
  maxSentences?: number;
  /** Pause between streamed words, to make streaming visible in demos (default 0). */
  chunkDelayMs?: number;
}

/**
 * An offline "LLM" that answers by quoting the context sentences that best match the question (word overlap
 * weighted by rarity), in their original order, streamed word by word. A context sentence that only restates the
 * question (a question of its own, at least half of whose content words are in the query, such as a FAQ's own
 * question line) is never quoted. No model, no network, no key: the default answerer of the demo and the CLI when
 * no LLM is configured. It reads the context and question from prompts in the shape of streamdex's templates
 * (`=====` around the context, a `Question:` line).
 *
 * @example
 * ```ts
 * const engine = index.asQueryEngine({ streaming: true, llm: new ExtractiveLLM() });
 * ```
 */
export class ExtractiveLLM extends BaseLLM {
  readonly metadata: LLMMetadata = {
    model: "extractive",
    contextWindow: 8192,
    numOutput: 256,
    isChatModel: false,
  };
  private readonly maxSentences: number;
  private readonly chunkDelayMs: number;

  constructor(options: ExtractiveLLMOptions = {}) {
    super();
    this.maxSentences = options.maxSentences ?? 3;
    this.chunkDelayMs = options.chunkDelayMs ?? 0;
  }

  protected override async doStreamComplete(prompt: string, options: LLMCallOptions): Promise<LLMStream> {
    throwIfAborted(options.signal);
    return this.words(this.answer(prompt), options.signal);
  }

  /** The quoted answer for a prompt, computed at once. */
  answer(prompt: string): string {
    const { context, question } = parsePrompt(prompt);
    const sentences = splitSentences(context);
    const qWords = new Set(words(question));
    if (sentences.length === 0 || qWords.size === 0) return "The documents do not contain an answer to that.";
    const df = new Map<string, number>();
    const sentenceWords = sentences.map((s) => new Set(words(s)));
    for (const set of sentenceWords) for (const w of set) df.set(w, (df.get(w) ?? 0) + 1);
    const scored = sentences.map((s, i) => {
      let score = 0;
      if (restatesQuestion(s, sentenceWords[i]!, qWords)) return { s, i, score };
      for (const w of sentenceWords[i]!)
        if (qWords.has(w)) score += Math.log(1 + sentences.length / df.get(w)!);
      return { s, i, score };
    });
    const best = scored
      .filter((x) => x.score > 0)
      .sort((a, b) => b.score - a.score || a.i - b.i)
      .slice(0, this.maxSentences)
      .sort((a, b) => a.i - b.i);
    if (best.length === 0) return "The documents do not contain an answer to that.";
    return best.map((x) => x.s).join(" ");
  }

  private async *words(text: string, signal: AbortSignal | undefined): AsyncGenerator<LLMStreamPart> {
    const pieces = text.match(/\s*\S+/g) ?? [];
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0) await sleep(this.chunkDelayMs, signal);
      throwIfAborted(signal);
      yield { type: "text-delta", text: pieces[i]! };
      if (i === pieces.length - 1) yield { type: "finish", finishReason: "stop" };
    }
  }
}

/**
 * Whether a context sentence only restates the question: it is itself a question (ends in `?`, optionally
 * followed by a closing quote or bracket) and at least half of its content words are words of the question.
 * Questions that bring mostly words of their own ("Have you tried restarting the router?" for "How do I fix my
 * router?") are content and can still be quoted.
 */
function restatesQuestion(
  sentence: string,
  sentenceWords: ReadonlySet<string>,
  questionWords: ReadonlySet<string>,
): boolean {
  if (!/\?["')\]]?$/.test(sentence) || sentenceWords.size === 0) return false;
  let shared = 0;
  for (const w of sentenceWords) if (questionWords.has(w)) shared++;
  return shared * 2 >= sentenceWords.size;
}

function parsePrompt(prompt: string): { context: string; question: string } {
  const parts = prompt.split(/^=====$/m);
  const context = parts.length >= 3 ? parts.slice(1, -1).join("\n") : prompt;
  const q = /Question:\s*(.+)/.exec(prompt);
  const question = q?.[1] ?? prompt.trim().split("\n").at(-1) ?? "";
  return { context, question };
}

function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) =>
      s
        .replace(/^[#>*\-\s]+/, "")
        .replace(/^[a-z_]+:\s*/, "")
        .trim(),
    )
    .filter(isSentence);
}

/** A sentence ends like one or is long enough to be one: headings and `key: value` leftovers are not. */
function isSentence(s: string): boolean {
  if (!/\p{L}/u.test(s)) return false;
  return /[.!?]["')\]]?$/.test(s) || s.split(/\s+/).length >= 8;
}
