import type { NodeWithScore, TextNode } from "../schema/node.js";
import { compileFilters, type MetadataPredicate } from "../storage/vector-store/metadata-filters.js";
import { TopK } from "../storage/vector-store/top-k.js";
import type { MetadataFilters } from "../storage/vector-store/types.js";
import { throwIfAborted } from "../utils/abort.js";
import { contentWords } from "../utils/text.js";
import { optionalInteger, optionalNumber, requireNonEmptyString } from "../utils/validate.js";
import type { BaseRetriever, RetrieveOptions } from "./types.js";

/** Options of {@link BM25Retriever}. */
export interface BM25RetrieverOptions {
  /** Nodes to return (default 2). */
  similarityTopK?: number;
  /** Term-frequency saturation (default 1.2). */
  k1?: number;
  /** Length normalisation (default 0.75). */
  b?: number;
  /** Only return nodes whose metadata matches (validated here; same semantics as the vector stores). */
  filters?: MetadataFilters;
}

/**
 * Lexical retrieval with Okapi BM25 over an inverted index: no embedding model, no network. The fallback
 * when no embedding model is reachable, and a strong baseline for keyword-heavy questions. Scores are raw
 * BM25 (higher is better, not bounded by 1). With `filters`, the top k is taken among the matching nodes only
 * (corpus statistics still cover every node).
 *
 * @example
 * ```ts
 * const retriever = new BM25Retriever([...index.docStore.docs], { similarityTopK: 3 });
 * const nodes = await retriever.retrieve("crystal radio");
 * ```
 */
export class BM25Retriever implements BaseRetriever {
  readonly similarityTopK: number;
  private readonly k1: number;
  private readonly b: number;
  private readonly matches: MetadataPredicate | undefined;
  private readonly nodes: TextNode[] = [];
  private readonly lengths: number[] = [];
  /** term -> [node index, term frequency] pairs, flattened. */
  private readonly postings = new Map<string, number[]>();
  private totalLength = 0;

  constructor(nodes: Iterable<TextNode>, options: BM25RetrieverOptions = {}) {
    this.similarityTopK = optionalInteger("similarityTopK", options.similarityTopK, 1, 2);
    this.k1 = optionalNumber("k1", options.k1, 0, 10, 1.2);
    this.b = optionalNumber("b", options.b, 0, 1, 0.75);
    this.matches = options.filters === undefined ? undefined : compileFilters(options.filters);
    for (const node of nodes) this.add(node);
  }

  /** Number of indexed nodes. */
  get size(): number {
    return this.nodes.length;
  }

  /** Indexes one more node. */
  add(node: TextNode): void {
    const index = this.nodes.length;
    const words = contentWords(node.getContent());
    const tf = new Map<string, number>();
    for (const w of words) tf.set(w, (tf.get(w) ?? 0) + 1);
    for (const [term, count] of tf) {
      let list = this.postings.get(term);
      if (!list) {
        list = [];
        this.postings.set(term, list);
      }
      list.push(index, count);
    }
    this.nodes.push(node);
    this.lengths.push(words.length);
    this.totalLength += words.length;
  }

  async retrieve(query: string, options: RetrieveOptions = {}): Promise<NodeWithScore[]> {
    requireNonEmptyString("query", query, "Pass the question as a non-empty string.");
    throwIfAborted(options.signal);
    const n = this.nodes.length;
    if (n === 0) return [];
    const avgLength = this.totalLength / n || 1;
    const scores = new Float64Array(n);
    for (const term of new Set(contentWords(query))) {
      const list = this.postings.get(term);
      if (!list) continue;
      const df = list.length / 2;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      for (let i = 0; i < list.length; i += 2) {
        const doc = list[i]!;
        const tf = list[i + 1]!;
        const norm = this.k1 * (1 - this.b + (this.b * this.lengths[doc]!) / avgLength);
        scores[doc]! += (idf * tf * (this.k1 + 1)) / (tf + norm);
      }
    }
    const top = new TopK(this.similarityTopK);
    const matches = this.matches;
    for (let i = 0; i < n; i++) {
      if (scores[i]! > 0 && (matches === undefined || matches(this.nodes[i]!.metadata)))
        top.offer(scores[i]!, i);
    }
    const { indices, scores: best } = top.drain();
    return Array.from(indices, (i, k) => ({ node: this.nodes[i]!, score: best[k]! }));
  }
}
