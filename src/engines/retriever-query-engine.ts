import type { CitationParserOptions } from "../citations/citation-parser.js";
import { InvalidArgumentError } from "../errors/index.js";
import { QueryLifecycle } from "../instrumentation/query-lifecycle.js";
import type { TokenUsage } from "../llms/types.js";
import type { NodePostprocessor } from "../postprocessors/types.js";
import type { BaseRetriever, RetrieveOptions } from "../retrievers/types.js";
import type { NodeWithScore } from "../schema/node.js";
import { Settings } from "../settings/settings.js";
import type { StreamingResponse } from "../streaming/streaming-response.js";
import { getResponseSynthesizer } from "../synthesizers/get-response-synthesizer.js";
import type { ResponseSynthesizer, SynthesizerOutput } from "../synthesizers/types.js";
import { throwIfAborted } from "../utils/abort.js";
import { describe, requireNonEmptyString } from "../utils/validate.js";

/** Options of one query. */
export interface QueryOptions {
  /** Aborts retrieval and every LLM request; a stream being read then throws `AbortError`. */
  signal?: AbortSignal;
  /** Usage spent before this query (e.g. a chat engine's condensing call), counted in the answer's `usage`. */
  priorUsage?: TokenUsage;
}

/** What a {@link RetrieverQueryEngine} is built from. */
export interface RetrieverQueryEngineOptions<S extends boolean> {
  retriever: BaseRetriever;
  /** Default: `getResponseSynthesizer()` (compact, not streaming, on `Settings.llm` as it is now). */
  responseSynthesizer?: ResponseSynthesizer<S>;
  /** Applied in order to the retrieved nodes, e.g. a {@link SimilarityPostprocessor}. */
  nodePostprocessors?: NodePostprocessor[];
}

/**
 * Retrieves nodes for a question, post-processes them, and hands them to a response synthesizer. With a
 * streaming synthesizer `query()` resolves to a {@link StreamingResponse} as soon as the last LLM call has
 * started; otherwise to a finished `Response`. What it answers with is fixed when it is built: its synthesizer's
 * LLM (read from `Settings` when that was built); a streaming engine over an LLM that cannot stream throws
 * `NotImplementedError` from the constructor, before any retrieval.
 *
 * @example
 * ```ts
 * const engine = new RetrieverQueryEngine({
 *   retriever: index.asRetriever({ similarityTopK: 2 }),
 *   responseSynthesizer: getResponseSynthesizer({ streaming: true, responseMode: "compact" }),
 * });
 * const res = await engine.query("What did the author do growing up?");
 * for await (const text of res.responseGen) process.stdout.write(text);
 * ```
 */
export class RetrieverQueryEngine<S extends boolean = false> {
  readonly retriever: BaseRetriever;
  readonly responseSynthesizer: ResponseSynthesizer<S>;
  readonly nodePostprocessors: NodePostprocessor[];
  /** A citing engine's: the retrieved nodes are numbered sources whose `[n]` markers are parsed. */
  protected readonly citing: boolean | CitationParserOptions = false;

  constructor(options: RetrieverQueryEngineOptions<S>) {
    if (!options || typeof options.retriever?.retrieve !== "function") {
      throw new InvalidArgumentError(
        "retriever",
        `expected an object with a retrieve(query) method (e.g. index.asRetriever()), got ${describe(options?.retriever)}.`,
      );
    }
    this.retriever = options.retriever;
    this.responseSynthesizer =
      options.responseSynthesizer ?? (getResponseSynthesizer() as ResponseSynthesizer<S>);
    this.nodePostprocessors = options.nodePostprocessors ?? [];
    for (const p of this.nodePostprocessors) {
      if (typeof p?.postprocessNodes !== "function") {
        throw new InvalidArgumentError(
          "nodePostprocessors",
          "each entry needs a postprocessNodes(nodes) method.",
        );
      }
    }
    // No LLM, or a streaming one that cannot stream: fail now, not at the first query.
    this.responseSynthesizer.assertReady();
  }

  /** Whether `query()` resolves to a {@link StreamingResponse}. */
  get streaming(): S {
    return this.responseSynthesizer.streaming;
  }

  /** Retrieves and post-processes the nodes for `query`, without calling the LLM. */
  async retrieve(
    query: string,
    options: QueryOptions & Pick<RetrieveOptions, "onUsage"> = {},
  ): Promise<NodeWithScore[]> {
    let nodes = await this.retriever.retrieve(query, { signal: options.signal, onUsage: options.onUsage });
    for (const p of this.nodePostprocessors) {
      throwIfAborted(options.signal);
      nodes = await p.postprocessNodes(nodes, query);
    }
    return nodes;
  }

  /**
   * Answers `query`. Checks, before any retrieval or LLM work, that the query is a non-empty string, and asks
   * the synthesizer again whether it is ready (the built-in one was checked at construction and cannot change;
   * a synthesizer of your own may).
   */
  async query(query: string, options: QueryOptions = {}): Promise<SynthesizerOutput<S>> {
    requireNonEmptyString("query", query, 'Pass the question as a non-empty string: engine.query("…").');
    this.responseSynthesizer.assertReady();
    const signal = options.signal;
    const lifecycle = QueryLifecycle.start({
      query,
      streaming: this.streaming,
      signal,
      priorUsage: options.priorUsage,
    });
    return lifecycle.run(async ({ controller, clock, queryId, usage }) => {
      const nodes = await this.retrieve(query, {
        signal: controller.signal,
        onUsage: (u) => usage.addEmbedding(u),
      });
      clock.retrieveMs = clock.elapsed();
      const events = Settings.events;
      if (events.has("retrieve-end")) events.emit({ type: "retrieve-end", queryId, nodes });
      return this.responseSynthesizer.synthesize({
        query,
        nodes,
        signal,
        controller,
        queryId,
        clock,
        usage,
        ...(this.citing ? { citations: this.citing } : {}),
      });
    });
  }
}
