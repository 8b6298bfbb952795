import { parseCitations } from "../citations/citation-parser.js";
import { InvalidArgumentError } from "../errors/index.js";
import { LLMCallObserver } from "../instrumentation/llm-call-observer.js";
import { abortScope } from "../instrumentation/query-lifecycle.js";
import { UsageMeter } from "../instrumentation/usage-meter.js";
import { assertCanStream } from "../llms/base-llm.js";
import type { LLM, LLMStream } from "../llms/types.js";
import { sourceLabel } from "../prompts/citation-prompts.js";
import {
  DEFAULT_GENERATION_PROMPT,
  DEFAULT_QA_PROMPT,
  DEFAULT_REFINE_PROMPT,
  DEFAULT_SUMMARY_PROMPT,
} from "../prompts/default-prompts.js";
import { PromptHelper } from "../prompts/prompt-helper.js";
import { toPrompt } from "../prompts/prompt-template.js";
import { MetadataMode, type NodeWithScore } from "../schema/node.js";
import { Response, sourceMetadata } from "../schema/response.js";
import { QueryClock } from "../schema/timings.js";
import { noLLMError, Settings } from "../settings/settings.js";
import { orderedStreams } from "../streaming/ordered-streams.js";
import { StreamingResponse } from "../streaming/streaming-response.js";
import { mapConcurrent } from "../utils/map-concurrent.js";
import { defaultTokenizer, type Tokenizer } from "../utils/tokenizer.js";
import { optionalBoolean, optionalInteger } from "../utils/validate.js";
import { progressReporter } from "./progress.js";
import type {
  FinalStep,
  ModeContext,
  ModePlanner,
  ResponseMode,
  ResponseSynthesizer,
  ResponseSynthesizerOptions,
  SynthesizeParams,
  SynthesizerOutput,
  SynthesizerPrompts,
} from "./types.js";

const DEFAULT_SEPARATOR = "\n---------------------\n";

/**
 * Runs one response mode: the mode makes its intermediate LLM calls (never streamed), then this class makes
 * the final call, streamed when `streaming` is set, or returns the mode's text. Build it with
 * {@link getResponseSynthesizer}. Its LLM and tokenizer are fixed when it is built (the ones passed, else
 * `Settings`' at that moment); a streaming one over an LLM that cannot stream throws `NotImplementedError` then.
 */
export class Synthesizer<S extends boolean> implements ResponseSynthesizer<S> {
  readonly streaming: S;
  readonly responseMode: ResponseMode;
  readonly prompts: SynthesizerPrompts;
  readonly emptyResponseText: string;
  readonly maxConcurrency: number;
  readonly accumulateSeparator: string;
  private readonly planner: ModePlanner;
  private readonly options: ResponseSynthesizerOptions<S>;
  /** The LLM, fixed at construction (undefined only for a mode that makes no LLM call and was given none). */
  private readonly boundLLM: LLM | undefined;
  /** The tokenizer set at construction (`options.tokenizer`, else `Settings.tokenizer`'s; undefined: cl100k). */
  private readonly boundTokenizer: Tokenizer | undefined;

  constructor(responseMode: ResponseMode, planner: ModePlanner, options: ResponseSynthesizerOptions<S>) {
    this.responseMode = responseMode;
    this.planner = planner;
    this.options = options;
    this.streaming = optionalBoolean("streaming", options.streaming, false) as S;
    this.prompts = {
      qa: toPrompt(options.textQATemplate ?? DEFAULT_QA_PROMPT).requireVariables("textQATemplate", [
        "context",
        "query",
      ]),
      refine: toPrompt(options.refineTemplate ?? DEFAULT_REFINE_PROMPT).requireVariables("refineTemplate", [
        "context",
        "query",
        "existingAnswer",
      ]),
      summary: toPrompt(options.summaryTemplate ?? DEFAULT_SUMMARY_PROMPT).requireVariables(
        "summaryTemplate",
        ["context", "query"],
      ),
      generation: toPrompt(options.generationTemplate ?? DEFAULT_GENERATION_PROMPT).requireVariables(
        "generationTemplate",
        ["query"],
      ),
    };
    if (options.emptyResponseText !== undefined && typeof options.emptyResponseText !== "string") {
      throw new InvalidArgumentError("emptyResponseText", "expected a string.");
    }
    this.emptyResponseText = options.emptyResponseText ?? "Empty Response";
    this.maxConcurrency = optionalInteger("maxConcurrency", options.maxConcurrency, 1, 4);
    this.accumulateSeparator = options.accumulateSeparator ?? DEFAULT_SEPARATOR;
    if (options.llm !== undefined && !isLLM(options.llm)) {
      throw new InvalidArgumentError(
        "llm",
        "expected an LLM (an object with complete/streamComplete and metadata).",
      );
    }
    // Settings are read once, here: changing them later does not change this synthesizer.
    this.boundLLM = options.llm ?? (this.usesLLM || Settings.hasLLM ? Settings.llm : undefined);
    this.boundTokenizer = options.tokenizer ?? Settings.tokenizerOverride;
    // Before any retrieval or LLM work (DESIGN §2.5): an LLM that cannot stream fails the build.
    if (this.streaming && this.usesLLM) assertCanStream(this.llm);
  }

  /** The LLM of this synthesizer: the one passed, else `Settings.llm` when it was built. */
  get llm(): LLM {
    if (this.boundLLM === undefined) throw noLLMError();
    return this.boundLLM;
  }

  /** Whether this mode ever calls the LLM. */
  get usesLLM(): boolean {
    return this.responseMode !== "no_text" && this.responseMode !== "context_only";
  }

  /** Checked at construction already (the LLM is fixed); kept for the {@link ResponseSynthesizer} contract. */
  assertReady(): void {
    if (this.usesLLM && this.streaming) assertCanStream(this.llm);
    else if (this.usesLLM) void this.llm;
  }

  async synthesize(params: SynthesizeParams): Promise<SynthesizerOutput<S>> {
    this.assertReady();
    const { controller, signal } = abortScope(params.controller, params.signal);
    const llm = this.usesLLM ? this.llm : undefined;
    const tracker: Tracker = { usage: params.usage ?? new UsageMeter(), calls: 0, reasoning: [] };
    const clock = params.clock ?? new QueryClock();
    const events = Settings.events;

    const tokenizer = llm?.getTokenizer
      ? await llm.getTokenizer()
      : (this.boundTokenizer ?? defaultTokenizer());
    const ctx: ModeContext = {
      query: params.query,
      chunks: params.nodes.map((n, i) => {
        const content = n.node.getContent(MetadataMode.LLM);
        return params.citations ? `${sourceLabel(i + 1)}\n${content}` : content;
      }),
      prompts: this.prompts,
      helper:
        this.options.promptHelper ??
        PromptHelper.fromLLMMetadata(llm?.metadata ?? DEFAULT_METADATA, { tokenizer }),
      maxConcurrency: this.maxConcurrency,
      accumulateSeparator: this.accumulateSeparator,
      progress: progressReporter(events, params.queryId, this.responseMode),
      complete: async (prompt) => {
        const observer = new LLMCallObserver(events, params.queryId, prompt, false);
        try {
          const res = await llm!.complete(prompt, { signal });
          // A provider that reports no usage: counted with the model's tokenizer (flagged estimated).
          tracker.usage.addCall(
            { prompt, text: res.text, reasoning: res.reasoning, usage: res.usage },
            tokenizer,
          );
          tracker.calls++;
          if (res.reasoning) tracker.reasoning.push(res.reasoning);
          observer.onEnd(res.text, res.usage, res.finishReason);
          return res.text;
        } catch (error) {
          observer.onError(error, "");
          throw error;
        }
      },
    };

    const planning = performance.now();
    const step: FinalStep =
      params.nodes.length === 0 && this.responseMode !== "generation" && this.usesLLM
        ? { kind: "text", text: this.emptyResponseText }
        : await this.planner(ctx);
    // The calls a mode made before its final one (refine's drafts, tree_summarize's levels); their reasoning is
    // theirs, never the answer's.
    if (tracker.calls > 0) clock.priorCallsMs = (clock.priorCallsMs ?? 0) + (performance.now() - planning);
    tracker.reasoning = [];

    const base = { sourceNodes: params.nodes, metadata: sourceMetadata(params.nodes) };
    if (this.streaming) {
      return (await this.stream(step, llm, { ...params, signal }, controller, tracker, {
        ...base,
        clock,
        tokenizer,
      })) as SynthesizerOutput<S>;
    }
    const text = await this.completeStep(step, ctx);
    const cite = params.citations;
    return new Response({
      response: text,
      ...(cite
        ? {
            citations: parseCitations(
              text,
              (n) => params.nodes[n - 1]?.node.id ?? null,
              cite === true ? {} : cite,
            ),
          }
        : {}),
      reasoning: tracker.reasoning.join("\n\n"),
      ...base,
      usage: tracker.usage.total,
      timings: clock.timings(performance.now(), undefined, undefined, 0),
    }) as SynthesizerOutput<S>;
  }

  private async completeStep(step: FinalStep, ctx: ModeContext): Promise<string> {
    if (step.kind === "text") return step.text;
    if (step.kind === "prompt") return ctx.complete(step.prompt);
    const answers = await mapConcurrent(step.prompts, this.maxConcurrency, (p) => ctx.complete(p));
    return answers.map((a, i) => `Response ${i + 1}: ${a}`).join(step.separator);
  }

  private async stream(
    step: FinalStep,
    llm: LLM | undefined,
    params: SynthesizeParams & { signal: AbortSignal },
    controller: AbortController,
    tracker: Tracker,
    {
      tokenizer,
      ...base
    }: {
      sourceNodes: NodeWithScore[];
      metadata: Record<string, unknown>;
      clock: QueryClock;
      tokenizer: Tokenizer;
    },
  ): Promise<StreamingResponse> {
    const events = Settings.events;
    const common = {
      ...base,
      controller,
      signal: params.signal,
      priorUsage: tracker.usage.total,
      citations: params.citations,
    };
    if (step.kind === "text") {
      return new StreamingResponse({ ...common, text: step.text });
    }
    if (step.kind === "prompt") {
      const observer = new LLMCallObserver(events, params.queryId, step.prompt, true);
      let stream: LLMStream;
      try {
        stream = await llm!.streamComplete(step.prompt, { signal: params.signal });
      } catch (error) {
        observer.onError(error, "");
        throw error;
      }
      return new StreamingResponse({
        ...common,
        stream,
        hooks: observer,
        estimate: { prompt: step.prompt, tokenizer },
      });
    }
    const stream = await orderedStreams({
      count: step.prompts.length,
      concurrency: this.maxConcurrency,
      signal: params.signal,
      prefix: (i) => `${i === 0 ? "" : step.separator}Response ${i + 1}: `,
      estimate: { prompt: (i) => step.prompts[i]!, tokenizer },
      start: async (i, signal) => {
        const prompt = step.prompts[i]!;
        const observer = new LLMCallObserver(events, params.queryId, prompt, true);
        try {
          return { stream: await llm!.streamComplete(prompt, { signal }), hooks: observer };
        } catch (error) {
          observer.onError(error, "");
          throw error;
        }
      },
    });
    return new StreamingResponse({ ...common, stream, usageSoFar: () => stream.usageSoFar() });
  }
}

/** What the calls of one synthesis added up to. */
interface Tracker {
  /** The query's (given by the query engine), else the synthesis' own. */
  usage: UsageMeter;
  /** Calls made (not streamed). */
  calls: number;
  /** Their reasoning (reset before the final step: only the answer's own is reported). */
  reasoning: string[];
}

const DEFAULT_METADATA = { model: "none", contextWindow: 1 << 20, numOutput: 0, isChatModel: false };

function isLLM(value: unknown): value is LLM {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as LLM).complete === "function" &&
    typeof (value as LLM).streamComplete === "function"
  );
}
