import { InvalidArgumentError } from "../../../errors/index.js";
import type { TextNode } from "../../../schema/node.js";
import { describe } from "../../../utils/validate.js";
import { checkEmbedding } from "../vector-input.js";
import { nodeRowValues } from "./node-row.js";

/** The columns `add` writes, in order. */
export const ROW_COLUMNS = ["id", "ref_doc_id", "text", "metadata", "node_info", "embedding"] as const;

/**
 * One table row: id, ref_doc_id, text, metadata JSON, node_info JSON, and the vector (put in its `[1,2,3]` text
 * form only when sent, a chunk at a time: for a large add the text forms would take several times its memory).
 */
export type NodeRow = [string, string, string, string, string, Float32Array];

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
    const values = nodeRowValues(node);
    rows.set(values[0], [...values, embedding]);
  });
  return [...rows.values()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

const COPY_SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");

/** Bytes of pgvector's binary form of `vector`: int16 dimensions, int16 0, then float4 values (big-endian). */
function vectorBytes(vector: Float32Array): number {
  return 4 + 4 * vector.length;
}

function writeVector(view: DataView, offset: number, vector: Float32Array): number {
  view.setInt16(offset, vector.length);
  view.setInt16(offset + 2, 0);
  let at = offset + 4;
  for (const value of vector) {
    view.setFloat32(at, value);
    at += 4;
  }
  return at;
}

/**
 * `rows` in `COPY … (FORMAT binary)` form, with the header (`header`) and the end marker (`trailer`): the vectors
 * go as pgvector's binary form and the server parses no numbers (text and JSON go as UTF-8; `jsonb` with its
 * version byte).
 */
export function copyBinary(rows: readonly NodeRow[], header: boolean, trailer: boolean): Buffer {
  const texts = rows.map((row) => [0, 1, 2, 3, 4].map((i) => Buffer.from(row[i] as string, "utf8")));
  let size = (header ? COPY_SIGNATURE.length + 8 : 0) + (trailer ? 2 : 0);
  rows.forEach((row, r) => {
    size += 2 + 6 * 4 + 2 + texts[r]!.reduce((sum, b) => sum + b.length, 0) + vectorBytes(row[5]);
  });
  const out = Buffer.allocUnsafe(size);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = 0;
  if (header) {
    at += COPY_SIGNATURE.copy(out, 0);
    view.setInt32(at, 0); // flags
    view.setInt32(at + 4, 0); // header extension length
    at += 8;
  }
  rows.forEach((row, r) => {
    view.setInt16(at, 6);
    at += 2;
    texts[r]!.forEach((bytes, i) => {
      const json = i >= 3; // metadata and node_info are jsonb: a version byte, then the text
      view.setInt32(at, bytes.length + (json ? 1 : 0));
      at += 4;
      if (json) out[at++] = 1;
      at += bytes.copy(out, at);
    });
    view.setInt32(at, vectorBytes(row[5]));
    at = writeVector(view, at + 4, row[5]);
  });
  if (trailer) view.setInt16(at, -1);
  return out;
}

/** A one-dimensional `vector[]` in Postgres' binary array form (`elementOid`: the `vector` type's oid). */
export function vectorArrayBinary(vectors: readonly Float32Array[], elementOid: number): Buffer {
  const size = 20 + vectors.reduce((sum, v) => sum + 4 + vectorBytes(v), 0);
  const out = Buffer.allocUnsafe(size);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setInt32(0, 1); // dimensions
  view.setInt32(4, 0); // no nulls
  view.setInt32(8, elementOid);
  view.setInt32(12, vectors.length);
  view.setInt32(16, 1); // lower bound
  let at = 20;
  for (const vector of vectors) {
    view.setInt32(at, vectorBytes(vector));
    at = writeVector(view, at + 4, vector);
  }
  return out;
}
