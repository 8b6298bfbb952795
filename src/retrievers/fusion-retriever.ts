import { InvalidArgumentError } from "../errors/index.js";
import type { NodeWithScore } from "../schema/node.js";
import { throwIfAborted } from "../utils/abort.js";
import { describe, optionalInteger, optionalNumber, requireNonEmptyString } from "../utils/validate.js";
import type { BaseRetriever, RetrieveOptions } from "./types.js";

/** Options of {@link QueryFusionRetriever}. */
export interface QueryFusionRetrieverOptions {
  /** The retrievers whose rankings are fused (at least one), e.g. a vector retriever and a BM25 retriever. */
  retrievers: BaseRetriever[];
  /** Nodes to return (default 2). */
  similarityTopK?: number;
  /** Reciprocal rank fusion constant: a node at rank r (1-based) scores 1 / (k + r) per list (default 60). */
  k?: number;
}

/**
 * Reciprocal rank fusion (RRF) of several retrievers: each retriever is queried concurrently (with the query's
 * signal), a node scores the sum over the lists it appears in of `1 / (k + rank)`, and the `similarityTopK`
 * best nodes are returned, deduplicated by node id, with the fused score as `score`. Only ranks matter, so
 * retrievers with incomparable scores (cosine, BM25) fuse well. Ties keep the order of first appearance
 * (retrievers in the order given). A failing retriever fails the retrieval.
 *
 * @example
 * ```ts
 * const hybrid = new QueryFusionRetriever({
 *   retrievers: [index.asRetriever({ similarityTopK: 5 }), new BM25Retriever(index.docStore.docs, { similarityTopK: 5 })],
 *   similarityTopK: 3,
 * });
 * const engine = new RetrieverQueryEngine({ retriever: hybrid });
 * ```
 */
export class QueryFusionRetriever implements BaseRetriever {
  readonly retrievers: readonly BaseRetriever[];
  readonly similarityTopK: number;
  readonly k: number;

  constructor(options: QueryFusionRetrieverOptions) {
    const retrievers: unknown = options?.retrievers;
    if (!Array.isArray(retrievers) || retrievers.length === 0) {
      throw new InvalidArgumentError(
        "retrievers",
        `expected a non-empty array of retrievers, got ${describe(retrievers)}.`,
      );
    }
    retrievers.forEach((r: unknown, i) => {
      if (typeof (r as Partial<BaseRetriever> | null)?.retrieve !== "function") {
        throw new InvalidArgumentError(
          "retrievers",
          `element ${i} is ${describe(r)}, not a retriever (no retrieve method).`,
        );
      }
    });
    this.retrievers = [...(retrievers as BaseRetriever[])];
    this.similarityTopK = optionalInteger("similarityTopK", options.similarityTopK, 1, 2);
    this.k = optionalNumber("k", options.k, 0, Number.MAX_SAFE_INTEGER, 60);
  }

  async retrieve(query: string, options: RetrieveOptions = {}): Promise<NodeWithScore[]> {
    requireNonEmptyString("query", query, "Pass the question as a non-empty string.");
    const { signal, onUsage } = options;
    throwIfAborted(signal);
    const lists = await Promise.all(this.retrievers.map((r) => r.retrieve(query, { signal, onUsage })));
    throwIfAborted(signal);
    return reciprocalRankFusion(lists, this.k).slice(0, this.similarityTopK);
  }
}

/**
 * Fuses ranked lists by reciprocal rank: every distinct node (by id) once, best first, `score` = the sum of
 * `1 / (k + rank)` over the lists it appears in (its best rank only, when a list repeats it).
 */
export function reciprocalRankFusion(lists: NodeWithScore[][], k = 60): NodeWithScore[] {
  const fused = new Map<string, NodeWithScore & { score: number }>();
  for (const list of lists) {
    const seen = new Set<string>();
    list.forEach(({ node }, i) => {
      if (seen.has(node.id)) return;
      seen.add(node.id);
      const contribution = 1 / (k + i + 1);
      const entry = fused.get(node.id);
      if (entry === undefined) fused.set(node.id, { node, score: contribution });
      else entry.score += contribution;
    });
  }
  // Array.prototype.sort is stable: ties keep the order of first appearance.
  return [...fused.values()].sort((a, b) => b.score - a.score);
}

/** Shorthand for `new QueryFusionRetriever({ retrievers, ...options })`. */
export function fusionRetriever(
  retrievers: BaseRetriever[],
  options: Omit<QueryFusionRetrieverOptions, "retrievers"> = {},
): QueryFusionRetriever {
  return new QueryFusionRetriever({ ...options, retrievers });
}
