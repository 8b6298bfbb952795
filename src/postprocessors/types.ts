import type { NodeWithScore } from "../schema/node.js";

/** Filters or re-orders retrieved nodes before synthesis. */
export interface NodePostprocessor {
  postprocessNodes(nodes: NodeWithScore[], query: string): NodeWithScore[] | Promise<NodeWithScore[]>;
}
