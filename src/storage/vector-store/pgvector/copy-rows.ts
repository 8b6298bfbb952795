import { InvalidArgumentError } from "../../../errors/index.js";
import type { TextNode } from "../../../schema/node.js";
import { describe } from "../../../utils/validate.js";
import { checkEmbedding } from "../vector-input.js";

/** The columns `add` writes, in order. */
export const ROW_COLUMNS = ["id", "ref_doc_id", "text", "metadata", "node_info", "embedding"] as const;

/** One table row as text: id, ref_doc_id, text, metadata JSON, node_info JSON, the vector's `[1,2,3]` form. */
export type NodeRow = [string, string, string, string, string, string];

/** `[1,2,3]`: pgvector's text form of a vector (float32 values print exactly as doubles). */
export function vectorLiteral(vector: Float32Array): string {
  return `[${vector.join(",")}]`;
}

/**
 * The rows of `nodes` (checked: an array of nodes with `dimensions`-long embeddings), one per id (the last copy
 * of a repeated id wins), sorted by id: writers that lock rows in one order cannot deadlock each other.
 */
export function nodeRows(nodes: TextNode[], dimensions: number): NodeRow[] {
  if (!Array.isArray(nodes)) {
    throw new InvalidArgumentError("nodes", `expected an array of nodes, got ${describe(nodes)}.`);
  }
  const rows = new Map<string, NodeRow>();
  nodes.forEach((node, i) => {
    const embedding = checkEmbedding(node, i, dimensions);
    const { type, id, text, metadata, ...info } = node.toJSON();
    rows.set(id, [
      id,
      node.refDocId ?? id,
      text,
      JSON.stringify(metadata ?? {}),
      JSON.stringify({ type, ...info }),
      vectorLiteral(embedding),
    ]);
  });
  return [...rows.values()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

const SPECIAL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** A value in `COPY`'s text format: backslash, tab, newline and carriage return escaped. */
function copyField(value: string): string {
  return value.replace(SPECIAL, (c) => ESCAPES[c]!);
}

/** `rows` in `COPY … FROM` text format (tab-separated, one line each, `\n`-terminated). */
export function copyText(rows: readonly NodeRow[]): string {
  let out = "";
  for (const row of rows) out += `${row.map(copyField).join("\t")}\n`;
  return out;
}
