import type { NodeWithScore } from "../schema/node.js";
import { optionalNumber } from "../utils/validate.js";
import type { NodePostprocessor } from "./types.js";

/**
 * Drops nodes whose similarity score is below `similarityCutoff`. Nodes without a score are kept.
 *
 * @example
 * ```ts
 * new RetrieverQueryEngine({ retriever, nodePostprocessors: [new SimilarityPostprocessor({ similarityCutoff: 0.7 })] });
 * ```
 */
export class SimilarityPostprocessor implements NodePostprocessor {
  readonly similarityCutoff: number;

  constructor(options: { similarityCutoff?: number } = {}) {
    this.similarityCutoff = optionalNumber("similarityCutoff", options.similarityCutoff, -1, 1, 0);
  }

  postprocessNodes(nodes: NodeWithScore[]): NodeWithScore[] {
    return nodes.filter((n) => n.score === undefined || n.score >= this.similarityCutoff);
  }
}
