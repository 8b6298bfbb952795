import type { TextNode } from "../../schema/node.js";

/** A similarity query against a {@link VectorStore}. */
export interface VectorStoreQuery {
  /** The query vector (same dimensions as the stored vectors). */
  queryEmbedding: Float32Array | number[];
  /** How many results to return (>= 1). */
  similarityTopK: number;
  /** Only consider nodes whose source document is one of these. */
  docIds?: string[];
  /** Only consider nodes whose metadata matches (stores that support filters; others throw). */
  filters?: MetadataFilters;
}

/** Results of a {@link VectorStoreQuery}, best first. `nodes` is set by stores that keep the text. */
export interface VectorStoreQueryResult {
  nodes?: TextNode[];
  ids: string[];
  similarities: number[];
}

/** Where a large {@link VectorStore.add} is: rows written to the store, building its index, analysing it. */
export interface VectorStoreAddProgress {
  phase: "load" | "index" | "analyze";
  /** Rows written so far (`load`); 0 when the phase starts and `total` when it ends (`index`, `analyze`). */
  done: number;
  /** Rows of the whole `add`. */
  total: number;
}

/** Options of {@link VectorStore.add}, for stores that load in steps (e.g. `PgVectorStore`). */
export interface VectorStoreAddOptions {
  /** Aborting stops the add; a store that writes in one transaction then rolls it back (nothing written). */
  signal?: AbortSignal;
  /** Called as the add advances (stores that report progress). */
  onProgress?: (progress: VectorStoreAddProgress) => void;
}

/**
 * Stores embeddings and answers nearest-neighbour queries (cosine similarity).
 * Nodes passed to `add` carry their vector in `node.embedding`.
 */
export interface VectorStore {
  /** Whether the store keeps node text (then `query` fills `nodes` and no docstore lookup is needed). */
  readonly storesText: boolean;
  /**
   * Number of vectors stored, for stores that know it without a round trip (optional). When it is 0, a
   * `VectorIndexRetriever` returns no nodes without embedding the query.
   */
  readonly size?: number;
  /** Adds nodes with embeddings; returns their ids. Stores may ignore `options` (all of it is optional). */
  add(nodes: TextNode[], options?: VectorStoreAddOptions): Promise<string[]>;
  /** Removes every node that came from the document `refDocId`. */
  delete(refDocId: string): Promise<void>;
  /** The `similarityTopK` nodes most similar to `queryEmbedding`, best first. */
  query(query: VectorStoreQuery): Promise<VectorStoreQueryResult>;
}

/** How a metadata value is compared with a filter's value. */
export type FilterOperator = "==" | "!=" | ">" | ">=" | "<" | "<=" | "in" | "nin";

/** One condition on a node's metadata, e.g. `{ key: "year", operator: ">=", value: 2020 }`. */
export interface MetadataFilter {
  key: string;
  value: string | number | boolean | (string | number)[];
  /** Default `"=="`. `"in"`/`"nin"` take an array value. */
  operator?: FilterOperator;
}

/**
 * Conditions on node metadata, combined with `and` (default) or `or`; nestable.
 *
 * @example
 * ```ts
 * { filters: [{ key: "lang", value: "en" }, { condition: "or", filters: [{ key: "year", operator: ">=", value: 2020 }, { key: "pinned", value: true }] }] }
 * ```
 */
export interface MetadataFilters {
  filters: (MetadataFilter | MetadataFilters)[];
  condition?: "and" | "or";
}
