import { type Metadata, TextNode, type TextNodeJSON } from "../../../schema/node.js";

/** The columns of a node's row that rebuild it (every streamdex Postgres table has them). */
export interface NodeRow {
  id: string;
  text: string;
  metadata: Metadata | null;
  node_info: Partial<TextNodeJSON> | null;
}

/** The node a row holds, rebuilt whole (id, text, metadata, document, character offsets, excluded keys). */
export function nodeFromRow(row: NodeRow): TextNode {
  const info = row.node_info ?? {};
  return TextNode.fromJSON({
    type: info.type === "document" ? "document" : "text",
    id: row.id,
    text: row.text,
    metadata: row.metadata ?? {},
    excludedEmbedMetadataKeys: info.excludedEmbedMetadataKeys ?? [],
    excludedLlmMetadataKeys: info.excludedLlmMetadataKeys ?? [],
    refDocId: info.refDocId ?? undefined,
    startCharIdx: info.startCharIdx ?? undefined,
    endCharIdx: info.endCharIdx ?? undefined,
  });
}

/**
 * `id`, `ref_doc_id` (the node's document, or its own id), `text`, `metadata` and `node_info` (JSON text) of a
 * node's row: what {@link nodeFromRow} reads back.
 */
export function nodeRowValues(node: TextNode): [string, string, string, string, string] {
  const { type, id, text, metadata, ...info } = node.toJSON();
  return [id, node.refDocId ?? id, text, JSON.stringify(metadata ?? {}), JSON.stringify({ type, ...info })];
}
