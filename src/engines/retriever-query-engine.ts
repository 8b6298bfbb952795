import { randomUUID } from "node:crypto";
import { InvalidArgumentError } from "../errors/index.js";
import type { NodePostprocessor } from "../postprocessors/types.js";
import type { BaseRetriever } from "../retrievers/types.js";
import type { NodeWithScore } from "../schema/node.js";
import { StreamingResponse } from "../schema/streaming-response.js";
import { QueryClock } from "../schema/timings.js";
import { Settings } from "../settings/settings.js";
import { getResponseSynthesizer } from "../synthesizers/get-response-synthesizer.js";
import type { ResponseSynthesizer, SynthesizerOutput } from "../synthesizers/types.js";
import { abortReason, throwIfAborted } from "../utils/abort.js";
import { describe, requireNonEmptyString } from "../utils/validate.js";

/** Options of one query. */
export interface QueryOptions {
  /** Aborts retrieval and every LLM request; a stream being read then throws `AbortError`. */
  signal?: AbortSignal;
}

/** What a {@link RetrieverQueryEngine} is built from. */
export interface RetrieverQueryEngineOptions<S extends boolean> {
  retriever: BaseRetriever;
  /** Default: `getResponseSynthesizer()` (compact, not streaming). */
  responseSynthesizer?: ResponseSynthesizer<S>;
  /** Applied in order to the retrieved nodes, e.g. a {@link SimilarityPostprocessor}. */
  nodePostprocessors?: NodePostprocessor[];
}

/**
 * Retrieves nodes for a question, post-processes them, and hands them to a response synthesizer. With a
 * streaming synthesizer `query()` resolves to a {@link StreamingResponse} as soon as the last LLM call has
 * started; otherwise to a finished `Response`.
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
  }

  /** Whether `query()` resolves to a {@link StreamingResponse}. */
  get streaming(): S {
    return this.responseSynthesizer.streaming;
  }

  /** Retrieves and post-processes the nodes for `query`, without calling the LLM. */
  async retrieve(query: string, options: QueryOptions = {}): Promise<NodeWithScore[]> {
    let nodes = await this.retriever.retrieve(query, { signal: options.signal });
    for (const p of this.nodePostprocessors) {
      throwIfAborted(options.signal);
      nodes = await p.postprocessNodes(nodes, query);
    }
    return nodes;
  }

  /**
   * Answers `query`. Checks, before any retrieval or LLM work, that the query is a non-empty string and that a
   * streaming engine's LLM can stream (`NotImplementedError` otherwise).
   */
  async query(query: string, options: QueryOptions = {}): Promise<SynthesizerOutput<S>> {
    requireNonEmptyString("query", query, 'Pass the question as a non-empty string: engine.query("…").');
    this.responseSynthesizer.assertReady();
    const signal = options.signal;
    if (signal?.aborted) throw abortReason(signal);

    const clock = new QueryClock();
    const events = Settings.events;
    const queryId = randomUUID();
    events.emit({ type: "query-start", queryId, query, streaming: this.streaming });
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const nodes = await this.retrieve(query, { signal: controller.signal });
      clock.retrieveMs = clock.elapsed();
      if (events.has("retrieve-end")) events.emit({ type: "retrieve-end", queryId, nodes });
      const result = await this.responseSynthesizer.synthesize({
        query,
        nodes,
        signal,
        controller,
        queryId,
        clock,
      });
      if (result instanceof StreamingResponse) {
        result.observe({
          onEnd: (text) =>
            events.emit({ type: "query-end", queryId, text, usage: result.usage, timings: result.timings }),
          onError: (error, text) =>
            events.emit({
              type: "query-end",
              queryId,
              text,
              error,
              usage: result.usage,
              timings: result.timings,
            }),
          onCancel: (text) =>
            events.emit({
              type: "query-end",
              queryId,
              text,
              cancelled: true,
              usage: result.usage,
              timings: result.timings,
            }),
        });
      } else {
        events.emit({
          type: "query-end",
          queryId,
          text: result.response,
          usage: result.usage,
          timings: result.timings,
        });
      }
      return result;
    } catch (error) {
      controller.abort();
      events.emit({ type: "query-end", queryId, text: "", error });
      if (signal?.aborted) throw abortReason(signal);
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }
}
