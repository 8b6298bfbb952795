import type { Citation } from "../citations/citation-parser.js";
import type { TokenUsage } from "../llms/types.js";
import type { NodeWithScore } from "./node.js";
import type { QueryTimings } from "./timings.js";

/** Metadata of a response: the retrieved sources' metadata by node id, plus anything an engine adds. */
export type ResponseMetadata = Record<string, unknown>;

/**
 * A finished answer: its text, the nodes it was built from, and token usage when the provider reported it.
 *
 * @example
 * ```ts
 * const response = await engine.query("Who wrote it?");
 * console.log(response.response, response.sourceNodes.length);
 * ```
 */
export class Response {
  /** The answer text. */
  readonly response: string;
  /** The model's reasoning, apart from the answer (`""` when it gave none). */
  readonly reasoning: string;
  readonly sourceNodes: NodeWithScore[];
  readonly metadata: ResponseMetadata;
  /** Tokens used by the LLM calls that made this answer, summed, when reported. */
  readonly usage: TokenUsage | undefined;
  /** Where the query's time went (retrieval, earlier calls, first tokens, total), when measured. */
  readonly timings: QueryTimings | undefined;
  /** The answer's citation markers in order (a citing engine only; `nodeId: null` for a number with no source). */
  readonly citations: Citation[];

  constructor(init: {
    response: string;
    reasoning?: string;
    sourceNodes?: NodeWithScore[];
    metadata?: ResponseMetadata;
    usage?: TokenUsage;
    timings?: QueryTimings;
    citations?: Citation[];
  }) {
    this.response = init.response;
    this.reasoning = init.reasoning ?? "";
    this.sourceNodes = init.sourceNodes ?? [];
    this.metadata = init.metadata ?? sourceMetadata(this.sourceNodes);
    this.usage = init.usage;
    this.timings = init.timings;
    this.citations = init.citations ?? [];
  }

  toString(): string {
    return this.response;
  }
}

/** Response metadata as LlamaIndex builds it: each source node's metadata, by node id. */
export function sourceMetadata(sourceNodes: NodeWithScore[]): ResponseMetadata {
  const out: ResponseMetadata = {};
  for (const { node } of sourceNodes) out[node.id] = node.metadata;
  return out;
}

/** Adds two usages (either may be missing). */
export function addUsage(a: TokenUsage | undefined, b: TokenUsage | undefined): TokenUsage | undefined {
  if (!a) return b;
  if (!b) return a;
  const sum: TokenUsage = {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
  if (a.reasoningTokens !== undefined || b.reasoningTokens !== undefined) {
    sum.reasoningTokens = (a.reasoningTokens ?? 0) + (b.reasoningTokens ?? 0);
  }
  if (a.embeddingTokens !== undefined || b.embeddingTokens !== undefined) {
    sum.embeddingTokens = (a.embeddingTokens ?? 0) + (b.embeddingTokens ?? 0);
  }
  if (a.estimated || b.estimated) sum.estimated = true;
  return sum;
}
