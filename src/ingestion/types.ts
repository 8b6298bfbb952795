import type { TextNode } from "../schema/node.js";

/** Splits documents (or any nodes) into smaller nodes. */
export interface NodeParser {
  /** Splits each node's text and returns the new nodes, linked to their source via `refDocId`. */
  getNodesFromDocuments(documents: TextNode[]): TextNode[];
}
