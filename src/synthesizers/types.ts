import type { CitationParserOptions } from "../citations/citation-parser.js";
import type { SynthesizeProgressEvent } from "../instrumentation/events.js";
import type { UsageMeter } from "../instrumentation/usage-meter.js";
import type { LLM } from "../llms/types.js";
import type { PromptHelper } from "../prompts/prompt-helper.js";
import type { PromptLike, PromptTemplate } from "../prompts/prompt-template.js";
import type { NodeWithScore } from "../schema/node.js";
import type { Response } from "../schema/response.js";
import type { QueryClock } from "../schema/timings.js";
import type { StreamingResponse } from "../streaming/streaming-response.js";
import type { Tokenizer } from "../utils/tokenizer.js";

/** How retrieved text is turned into an answer. `compact` is the default. */
export const RESPONSE_MODES = [
  "refine",
  "compact",
  "tree_summarize",
  "simple_summarize",
  "accumulate",
  "compact_accumulate",
  "generation",
  "no_text",
  "context_only",
] as const;
export type ResponseMode = (typeof RESPONSE_MODES)[number];

/** A synthesizer's answer type follows its `streaming` flag. */
export type SynthesizerOutput<S extends boolean> = S extends true ? StreamingResponse : Response;

/** Input of one synthesis. */
export interface SynthesizeParams {
  query: string;
  nodes: NodeWithScore[];
  /** Aborts every LLM call of this synthesis. */
  signal?: AbortSignal;
  /** Owned by the caller (a query engine); aborted when the consumer cancels the stream. */
  controller?: AbortController;
  /** Ties instrumentation events to a query. */
  queryId?: string;
  /** The query's clock: the synthesizer adds the time of the calls made before the answer's own. */
  clock?: QueryClock;
  /** The query's usage so far (its query embedding): the synthesizer adds its calls, and the answer its own. */
  usage?: UsageMeter;
  /**
   * The nodes are numbered sources (`CitationQueryEngine`): each goes into the prompt opened by a `Source N:`
   * line, and the answer's `[N]` markers are mapped back to them (`citation` parts, `citations`).
   */
  citations?: boolean | CitationParserOptions;
}

/** Turns a question and retrieved nodes into an answer, streamed or not. */
export interface ResponseSynthesizer<S extends boolean = boolean> {
  readonly streaming: S;
  readonly responseMode: ResponseMode;
  /** The LLM in use (the one passed, else `Settings.llm` when the synthesizer was built). */
  readonly llm: LLM;
  /** Throws now what a query would throw before doing any work (no LLM, an LLM that cannot stream). */
  assertReady(): void;
  synthesize(params: SynthesizeParams): Promise<SynthesizerOutput<S>>;
}

/** Options of {@link getResponseSynthesizer}. */
export interface ResponseSynthesizerOptions<S extends boolean = false> {
  /** Return a {@link StreamingResponse} instead of a {@link Response}. */
  streaming?: S;
  responseMode?: ResponseMode;
  /** Default: `Settings.llm`, read when the synthesizer (or engine) is built. */
  llm?: LLM;
  /**
   * Counts prompt tokens for packing and estimated usage when the LLM has no tokenizer of its own. Default:
   * `Settings.tokenizer`, read when the synthesizer is built.
   */
  tokenizer?: Tokenizer;
  /** Answers from context: `{context}`, `{query}`. */
  textQATemplate?: PromptLike;
  /** Improves an answer: `{query}`, `{existingAnswer}`, `{context}`. */
  refineTemplate?: PromptLike;
  /** Combines passages (`tree_summarize`): `{context}`, `{query}`. */
  summaryTemplate?: PromptLike;
  /** Answers without context (`generation`): `{query}`. */
  generationTemplate?: PromptLike;
  /** Text of the answer when nothing was retrieved (default `"Empty Response"`). */
  emptyResponseText?: string;
  /** LLM calls run at once by `tree_summarize` and the accumulate modes (default 4). */
  maxConcurrency?: number;
  /** Separator between the answers of the accumulate modes. */
  accumulateSeparator?: string;
  /** Override the packer built from the LLM's metadata. */
  promptHelper?: PromptHelper;
}

/** The prompts a mode can use, all validated. */
export interface SynthesizerPrompts {
  qa: PromptTemplate;
  refine: PromptTemplate;
  summary: PromptTemplate;
  generation: PromptTemplate;
}

/**
 * What a mode hands the synthesizer for its last step: one final prompt (streamed when streaming), several
 * final prompts whose answers are concatenated in order (accumulate modes), or text with no LLM call.
 */
export type FinalStep =
  | { kind: "prompt"; prompt: string }
  | { kind: "prompts"; prompts: string[]; separator: string }
  | { kind: "text"; text: string };

/** What a mode gets to work with. `complete` makes an instrumented, non-streamed, abortable call. */
export interface ModeContext {
  query: string;
  /** The nodes' contents as the LLM should see them (metadata included per node settings). */
  chunks: string[];
  prompts: SynthesizerPrompts;
  helper: PromptHelper;
  maxConcurrency: number;
  accumulateSeparator: string;
  complete(prompt: string): Promise<string>;
  /**
   * Reports a step of a mode that makes calls before its final one (a `synthesize-progress` event); absent when
   * nobody listens, so modes call it as `ctx.progress?.(…)`.
   */
  progress?(step: ProgressStep): void;
}

/** What a mode reports of one step; the synthesizer adds the query id and the mode. */
export type ProgressStep = Omit<SynthesizeProgressEvent, "type" | "queryId" | "mode">;

/** A response mode: does its intermediate calls and returns the final step. */
export type ModePlanner = (ctx: ModeContext) => Promise<FinalStep>;
