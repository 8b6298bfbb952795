import { InvalidArgumentError } from "../../errors/index.js";
import type { NodePostprocessor } from "../../postprocessors/types.js";
import type { BaseRetriever, RetrieveOptions } from "../../retrievers/types.js";
import { MetadataMode, type NodeWithScore } from "../../schema/node.js";
import { throwIfAborted } from "../../utils/abort.js";
import { describe } from "../../utils/validate.js";

/** Where a chat engine's context comes from: a retriever and the post-processors applied to its nodes. */
export interface ChatRetrieval {
  retriever: BaseRetriever;
  nodePostprocessors: NodePostprocessor[];
}

/** Checks the retrieval options of a context engine; throws {@link InvalidArgumentError}. */
export function checkRetrieval(retriever: unknown, nodePostprocessors: unknown = []): ChatRetrieval {
  if (typeof (retriever as BaseRetriever | undefined)?.retrieve !== "function") {
    throw new InvalidArgumentError(
      "retriever",
      `expected an object with a retrieve(query) method (e.g. index.asRetriever()), got ${describe(retriever)}.`,
    );
  }
  if (!Array.isArray(nodePostprocessors)) {
    throw new InvalidArgumentError("nodePostprocessors", "expected an array.");
  }
  for (const p of nodePostprocessors) {
    if (typeof (p as NodePostprocessor | undefined)?.postprocessNodes !== "function") {
      throw new InvalidArgumentError(
        "nodePostprocessors",
        "each entry needs a postprocessNodes(nodes) method.",
      );
    }
  }
  return { retriever: retriever as BaseRetriever, nodePostprocessors };
}

/** Retrieves and post-processes the nodes for `query`. */
export async function retrieveNodes(
  retrieval: ChatRetrieval,
  query: string,
  signal: AbortSignal,
  onUsage?: RetrieveOptions["onUsage"],
): Promise<NodeWithScore[]> {
  let nodes = await retrieval.retriever.retrieve(query, { signal, onUsage });
  for (const p of retrieval.nodePostprocessors) {
    throwIfAborted(signal);
    nodes = await p.postprocessNodes(nodes, query);
  }
  throwIfAborted(signal);
  return nodes;
}

/** The nodes' texts as the LLM should see them, separated by blank lines. */
export function formatContext(nodes: NodeWithScore[]): string {
  return nodes.map((n) => n.node.getContent(MetadataMode.LLM)).join("\n\n");
}
