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
 * It cites, too: when the context holds numbered sources (each opened by a `Source N:` line, as the citation
 * prompts of a `CitationQueryEngine` write them), every quoted sentence is followed by ` [N]`, the number of the
 * source it was taken from: one marker per sentence, even when consecutive sentences come from the same source,
 * so that each sentence can be checked against its source on its own. A sentence found in several sources (the
 * overlap of neighbouring chunks) is quoted once and cites the first. Bracketed numbers of the source text itself
 * (`[3]` footnotes) are dropped from the quote, so the only markers are the true ones. Without `Source N:` lines
 * the answer has no markers; markers already in the context (a cited summary being summarised again) stay with
 * the sentence they follow.
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

  /** The quoted answer for a prompt, computed at once (with ` [N]` after each sentence of a numbered source). */
  answer(prompt: string): string {
    const { context, question, existingAnswer } = parsePrompt(prompt);
    const quoted = contextSentences(context, existingAnswer);
    const sentences = quoted.map((q) => q.text);
    const qWords = new Set(words(question));
    if (sentences.length === 0 || qWords.size === 0) return NO_ANSWER;
    const df = new Map<string, number>();
    const sentenceWords = sentences.map((s) => new Set(words(withoutMarkers(s))));
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
    if (best.length === 0) return NO_ANSWER;
    return best
      .map(({ s, i }) => {
        const source = quoted[i]!.source;
        return source === undefined ? s : `${s} [${source}]`;
      })
      .join(" ");
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
  if (!/\?["')\]]?$/.test(withoutMarkers(sentence)) || sentenceWords.size === 0) return false;
  let shared = 0;
  for (const w of sentenceWords) if (questionWords.has(w)) shared++;
  return shared * 2 >= sentenceWords.size;
}

const NO_ANSWER = "The documents do not contain an answer to that.";

function parsePrompt(prompt: string): {
  context: string;
  question: string;
  existingAnswer: string | undefined;
} {
  const parts = prompt.split(/^=====$/m);
  const context = parts.length >= 3 ? parts.slice(1, -1).join("\n") : prompt;
  const q = /Question:\s*(.+)/.exec(prompt);
  const question = q?.[1] ?? prompt.trim().split("\n").at(-1) ?? "";
  // A refine prompt's "Current answer: …" line(s), up to the line that introduces the context.
  const current = parts.length >= 3 ? /^Current answer: ([\s\S]*)\n[^\n]*\n$/m.exec(parts[0]!) : null;
  return { context, question, existingAnswer: current?.[1] };
}

/** A context sentence, and the number of the source it was taken from (none without `Source N:` lines). */
interface ContextSentence {
  text: string;
  source: number | undefined;
}

/**
 * The line that opens a numbered source in a citation prompt's context: `sourceLabel(n)` of
 * src/prompts/citation-prompts.ts (`Source N:`), on a line of its own.
 */
const SOURCE_LABEL = /^Source (\d+):[ \t]*$/gm;

/** A citation-like group of bracketed numbers (`[3]`, `[1, 2]`, `[1-3]`). */
const MARKER = String.raw`\[\d+(?:\s*[,\-–—]\s*\d+)*\]`;
const MARKERS_AT_END = new RegExp(String.raw`(?:\s*${MARKER})+$`);
const ANY_MARKER = new RegExp(String.raw`\s*${MARKER}`, "g");
/** Between sentences: after `.`, `!` or `?` (and the markers that follow it), and at line breaks. */
const SENTENCE_BREAK = new RegExp(String.raw`(?<=[.!?](?:\s*${MARKER})*)\s+(?!\s*${MARKER})|\n+`);

/** `text` without the markers it ends with. */
function withoutMarkers(text: string): string {
  return text.replace(MARKERS_AT_END, "");
}

/**
 * The sentences of the context, each with its source number when the context is cut into numbered sources (text
 * before the first `Source N:` line has none). With sources, a sentence repeated in a later source is kept once,
 * the source text's own bracketed numbers are removed, and a refine prompt's current answer comes first: its
 * sentences, already cited, compete with the new sources' (so refining keeps the best cited sentences so far).
 */
function contextSentences(context: string, existingAnswer: string | undefined): ContextSentence[] {
  const labels = [...context.matchAll(SOURCE_LABEL)];
  if (labels.length === 0) return splitSentences(context).map((text) => ({ text, source: undefined }));
  const out: ContextSentence[] = [];
  const seen = new Set<string>();
  const add = (text: string, source: number | undefined) => {
    for (const raw of splitSentences(text)) {
      const sentence = source === undefined ? raw : raw.replace(ANY_MARKER, "").trim();
      const key = withoutMarkers(sentence);
      if (!isSentence(sentence) || seen.has(key)) continue;
      seen.add(key);
      out.push({ text: sentence, source });
    }
  };
  if (existingAnswer !== undefined && existingAnswer.trim() !== NO_ANSWER) add(existingAnswer, undefined);
  add(context.slice(0, labels[0]!.index), undefined);
  labels.forEach((label, k) => {
    const from = label.index + label[0].length;
    const to = k + 1 < labels.length ? labels[k + 1]!.index : context.length;
    add(context.slice(from, to), Number(label[1]));
  });
  return out;
}

/**
 * Splits text into sentences. Citation markers that follow a sentence's end (`It rained. [2] Then…`) stay with
 * that sentence.
 */
function splitSentences(text: string): string[] {
  return text
    .split(SENTENCE_BREAK)
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
  const bare = withoutMarkers(s);
  return /[.!?]["')\]]?$/.test(bare) || bare.split(/\s+/).length >= 8;
}
