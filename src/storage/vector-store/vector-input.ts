import { InvalidArgumentError } from "../../errors/index.js";
import type { TextNode } from "../../schema/node.js";
import { describe } from "../../utils/validate.js";

/** The node's embedding, or an {@link InvalidArgumentError} saying to embed the nodes first. */
export function embeddingOf(node: unknown, index: number): Float32Array | number[] {
  const embedding = (node as { embedding?: unknown } | null)?.embedding;
  if (!(embedding instanceof Float32Array || Array.isArray(embedding)) || embedding.length === 0) {
    const id = (node as { id?: unknown } | null)?.id;
    throw new InvalidArgumentError(
      "nodes",
      `node ${index} (${describe(id)}) has no embedding: embed the nodes before adding them to a vector store.`,
    );
  }
  return embedding;
}

/** The node's embedding as a checked Float32Array of `dims` values. */
export function checkEmbedding(node: TextNode, index: number, dims: number): Float32Array {
  if (typeof node?.id !== "string" || node.id === "") {
    throw new InvalidArgumentError(
      "nodes",
      `node ${index} has no id: expected TextNode instances, got ${describe(node)}.`,
    );
  }
  const embedding = embeddingOf(node, index);
  if (embedding.length !== dims) {
    throw new InvalidArgumentError(
      "nodes",
      `node "${node.id}" has a ${embedding.length}-dimensional embedding but the store holds ${dims}-dimensional ` +
        "vectors: embed every node with the same model (or use a new store).",
    );
  }
  return checkVector(`embedding of node "${node.id}"`, embedding);
}

/**
 * The nodes' embeddings as Float32Arrays of `dims` values (the nodes' own arrays when they already are), after
 * {@link checkEmbedding}'s checks of ids and sizes but not of the values: a finite {@link squaredNorm} proves every
 * value finite, so callers that sum the squares anyway check them that way. On any invalid node, throws the error
 * {@link checkEmbeddings} throws (that of the first invalid node, finite values included).
 */
export function embeddingsOf(nodes: TextNode[], dims: number): Float32Array[] {
  const vectors = new Array<Float32Array>(nodes.length);
  try {
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      const raw = (node as { embedding?: unknown } | null | undefined)?.embedding;
      vectors[i] =
        raw instanceof Float32Array && raw.length === dims && typeof node!.id === "string" && node!.id !== ""
          ? raw
          : checkEmbedding(node!, i, dims);
    }
  } catch (error) {
    checkEmbeddings(nodes, dims);
    throw error;
  }
  return vectors;
}

/** {@link checkEmbedding} on every node in order: throws the error of the first invalid one. */
export function checkEmbeddings(nodes: TextNode[], dims: number): void {
  for (let i = 0; i < nodes.length; i++) checkEmbedding(nodes[i]!, i, dims);
}

/** Σ vector[j]², summed in float64 in index order (the order every norm of the store is computed in). */
export function squaredNorm(vector: Float32Array): number {
  let sum = 0;
  for (let j = 0; j < vector.length; j++) sum += vector[j]! * vector[j]!;
  return sum;
}

/** `vector` as a Float32Array, after checking it is a non-empty list of finite numbers within float32 range. */
export function checkVector(name: string, vector: unknown): Float32Array {
  if (!(vector instanceof Float32Array || vector instanceof Float64Array || Array.isArray(vector))) {
    throw new InvalidArgumentError(
      name,
      `expected a Float32Array or an array of numbers, got ${describe(vector)}.`,
    );
  }
  if (vector.length === 0) throw new InvalidArgumentError(name, "it is empty.");
  const values = vector instanceof Float32Array ? vector : Float32Array.from(vector as ArrayLike<number>);
  for (let j = 0; j < values.length; j++) {
    if (!Number.isFinite(values[j]!)) {
      throw new InvalidArgumentError(
        name,
        `element ${j} is ${describe(vector[j])}; every element must be a finite number (within float32 range).`,
      );
    }
  }
  return values;
}

/**
 * Writes `vector / ‖vector‖` (float32, zero-padded to `stride`) at index `base` of `f32`; returns ‖vector‖ (0 for
 * a zero vector, whose row stays all zeros: its similarity to anything is 0). `sumSq`: the squared norm, when
 * already known.
 */
export function writeUnit(
  vector: Float32Array,
  f32: Float32Array,
  base: number,
  stride: number,
  sumSq: number = squaredNorm(vector),
): number {
  const dims = vector.length;
  const norm = Math.sqrt(sumSq);
  if (norm > 0) for (let j = 0; j < dims; j++) f32[base + j] = vector[j]! / norm;
  else f32.fill(0, base, base + dims);
  f32.fill(0, base + dims, base + stride);
  return norm;
}
