import { type Stats, statSync } from "node:fs";
import { InvalidArgumentError, StorageError } from "../../../errors/index.js";
import type { TextNode } from "../../../schema/node.js";
import { describe, optionalInteger } from "../../../utils/validate.js";
import { compileFilters } from "../metadata-filters.js";
import type { VectorStore, VectorStoreQuery, VectorStoreQueryResult } from "../types.js";
import { checkEmbedding, checkVector, embeddingOf, writeUnit } from "../vector-input.js";
import {
  ANN_FORMAT_VERSION,
  type AnnConfig,
  type AnnManifest,
  readAnnFiles,
  sameFile,
  writeAnnFiles,
} from "./ann-files.js";
import { loadUsearch, type UsearchIndex, type UsearchModule } from "./usearch-module.js";

/** Options of {@link AnnVectorStore}. */
export interface AnnVectorStoreOptions {
  /** Vector dimensions; default: those of the first `add`. */
  dimensions?: number;
  /** `"cosine"` (default; vectors are L2-normalised), `"ip"` (inner product) or `"l2"` (squared Euclidean). */
  metric?: "cosine" | "ip" | "l2";
  /** HNSW edges per node (default 16): more = better recall, more memory, slower build. */
  connectivity?: number;
  /** Candidate-list size while inserting (default 128): more = better graph, slower build. */
  expansionAdd?: number;
  /** Candidate-list size while searching (default 64; at least k is used): more = better recall, slower queries. */
  expansionSearch?: number;
  /** How vectors are stored in the index (default `"f32"`). `"i8"` assumes components in [-1, 1]: use with cosine. */
  quantization?: "f32" | "f16" | "i8";
  /** Threads used by `add` (default 0: every core). Queries use one thread. */
  threads?: number;
  /** Replaces `import("usearch")` (tests). */
  importer?: () => Promise<UsearchModule>;
}

/** Options of {@link AnnVectorStore.load}. */
export interface AnnLoadOptions {
  /**
   * `"view"` (default): memory-map the index file (instant; pages load on demand); the first `add`/`delete` then
   * reads it into memory. `"load"`: read it into memory now.
   */
  mode?: "view" | "load";
  /** Overrides the persisted `expansionSearch` (tune recall against latency without rebuilding). */
  expansionSearch?: number;
  threads?: number;
  importer?: () => Promise<UsearchModule>;
}

interface Entry {
  id: string;
  docKey: string;
  metadata: Record<string, unknown>;
}

const USEARCH_METRIC = { cosine: "cos", ip: "ip", l2: "l2sq" } as const;
/** First oversampling factor for filtered queries, over `k / (fraction of rows eligible)`. */
const OVERSAMPLE = 2;

/**
 * An approximate nearest-neighbour {@link VectorStore} on a usearch HNSW index (optional peer `usearch`), for
 * collections too large for the exact `SimpleVectorStore`. Keeps ids, source-document ids and a copy of each
 * node's metadata, but no text (`storesText` is false). Similarity: cosine (`1 - cosine distance`), inner product,
 * or `1 / (1 + squared L2)` for `"l2"`; best first. Results are approximate: tune `expansionSearch`.
 *
 * Adding a node whose id is stored replaces it (the old vector is removed, the new one gets a fresh key).
 * With `docIds` or `filters`, the eligible rows are counted first; the index is searched for
 * `k × 2 / (eligible fraction)` neighbours, filtered, and searched again with 4× more until `k` eligible rows are
 * found or the whole index was searched (a near-exhaustive graph walk: very selective filters cost up to a full scan,
 * and may still miss the rare node HNSW cannot reach, as usearch's JS API exposes no vectors for an exact pass).
 *
 * @example
 * ```ts
 * const store = new AnnVectorStore({ dimensions: 384 });
 * await store.add(nodes);
 * const { ids, similarities } = await store.query({ queryEmbedding, similarityTopK: 10 });
 * await store.persist("./ann");
 * const again = await AnnVectorStore.load("./ann");
 * ```
 */
export class AnnVectorStore implements VectorStore {
  readonly storesText = false;
  readonly #config: AnnConfig;
  readonly #threads: number;
  readonly #importer: (() => Promise<UsearchModule>) | undefined;
  #index: UsearchIndex | undefined;
  #module: UsearchModule | undefined;
  /** Set while the index is a memory-mapped view of this file (read-only until {@link #writable}). */
  #view: { path: string; stat: Stats } | undefined;
  readonly #entries = new Map<number, Entry>();
  readonly #idToKey = new Map<string, number>();
  readonly #docToKeys = new Map<string, Set<number>>();
  #nextKey = 0;

  constructor(options: AnnVectorStoreOptions = {}) {
    const metric = options.metric ?? "cosine";
    if (!(metric in USEARCH_METRIC)) {
      throw new InvalidArgumentError("metric", `expected "cosine", "ip" or "l2", got ${describe(metric)}.`);
    }
    const quantization = options.quantization ?? "f32";
    if (!["f32", "f16", "i8"].includes(quantization)) {
      throw new InvalidArgumentError(
        "quantization",
        `expected "f32", "f16" or "i8", got ${describe(quantization)}.`,
      );
    }
    const dims = optionalInteger("dimensions", options.dimensions, 1, 0);
    this.#config = {
      dimensions: dims === 0 ? null : dims,
      metric,
      quantization,
      connectivity: optionalInteger("connectivity", options.connectivity, 2, 16),
      expansionAdd: optionalInteger("expansionAdd", options.expansionAdd, 1, 128),
      expansionSearch: optionalInteger("expansionSearch", options.expansionSearch, 1, 64),
    };
    this.#threads = optionalInteger("threads", options.threads, 0, 0);
    this.#importer = options.importer;
  }

  /** Number of vectors stored. */
  get size(): number {
    return this.#entries.size;
  }

  /** Dimensions of the vectors (from the options or the first `add`). */
  get dimensions(): number | undefined {
    return this.#config.dimensions ?? undefined;
  }

  /** Whether a vector with this node id is stored. */
  has(id: string): boolean {
    return this.#idToKey.has(id);
  }

  /** The metadata stored for `id` (a copy taken at `add`). */
  getMetadata(id: string): Record<string, unknown> | undefined {
    const key = this.#idToKey.get(id);
    return key === undefined ? undefined : this.#entries.get(key)?.metadata;
  }

  /** Adds (or replaces, by id) the nodes' embeddings, in one batched insert. Input is validated before any change. */
  async add(nodes: TextNode[]): Promise<string[]> {
    if (!Array.isArray(nodes)) {
      throw new InvalidArgumentError("nodes", `expected an array of nodes, got ${describe(nodes)}.`);
    }
    if (nodes.length === 0) return [];
    const dims = this.#config.dimensions ?? embeddingOf(nodes[0], 0).length;
    const embeddings = nodes.map((node, i) => checkEmbedding(node, i, dims));
    const last = new Map<string, number>();
    for (const [i, node] of nodes.entries()) last.set(node.id, i);
    const index = await this.#writable(dims);
    const replaced = [...last.keys()].flatMap((id) => this.#idToKey.get(id) ?? []);
    if (replaced.length > 0) {
      index.remove(BigUint64Array.from(replaced, BigInt));
      for (const key of replaced) this.#forget(key);
    }
    const keys = new BigUint64Array(last.size);
    const matrix = new Float32Array(last.size * dims);
    const first = this.#nextKey;
    let row = 0;
    for (const i of last.values()) {
      const embedding = embeddings[i]!;
      if (this.#config.metric === "cosine") writeUnit(embedding, matrix, row * dims, dims);
      else matrix.set(embedding, row * dims);
      keys[row] = BigInt(first + row++);
    }
    this.#nextKey += last.size;
    index.add(keys, matrix, this.#threads);
    row = 0;
    for (const i of last.values()) {
      const node = nodes[i]!;
      const key = first + row++;
      const docKey = node.refDocId ?? node.id;
      this.#entries.set(key, { id: node.id, docKey, metadata: { ...node.metadata } });
      this.#idToKey.set(node.id, key);
      this.#file(docKey, key);
    }
    return nodes.map((node) => node.id);
  }

  /** Removes every vector of the document `refDocId` (usearch marks them deleted; their slots are reused). */
  async delete(refDocId: string): Promise<void> {
    if (typeof refDocId !== "string") {
      throw new InvalidArgumentError("refDocId", `expected a string, got ${describe(refDocId)}.`);
    }
    const keys = this.#docToKeys.get(refDocId);
    if (keys === undefined || this.#config.dimensions === null) return;
    const index = await this.#writable(this.#config.dimensions);
    index.remove(BigUint64Array.from(keys, BigInt));
    for (const key of [...keys]) this.#forget(key);
  }

  /**
   * The `similarityTopK` nearest vectors (approximately), best first; fewer when fewer match. `docIds` and
   * `filters` restrict the results (see the class description for how).
   */
  async query(query: VectorStoreQuery): Promise<VectorStoreQueryResult> {
    if (query === null || typeof query !== "object") {
      throw new InvalidArgumentError(
        "query",
        `expected { queryEmbedding, similarityTopK }, got ${describe(query)}.`,
      );
    }
    const topK = query.similarityTopK;
    if (typeof topK !== "number" || !Number.isInteger(topK) || topK < 1) {
      throw new InvalidArgumentError(
        "similarityTopK",
        `expected an integer >= 1 (how many results to return, e.g. 2), got ${describe(topK)}.`,
      );
    }
    let vector = checkVector("queryEmbedding", query.queryEmbedding);
    const predicate = query.filters === undefined ? undefined : compileFilters(query.filters);
    const dims = this.#config.dimensions;
    if (dims !== null && vector.length !== dims) {
      throw new InvalidArgumentError(
        "queryEmbedding",
        `it has ${vector.length} dimensions but the store holds ${dims}-dimensional vectors: ` +
          "embed the query with the model used for the nodes.",
      );
    }
    let eligible = query.docIds === undefined ? undefined : this.#keysOf(query.docIds);
    const index = this.#index;
    if (index === undefined || this.size === 0) return { ids: [], similarities: [] };
    if (this.#config.metric === "cosine") {
      const unit = new Float32Array(vector.length);
      writeUnit(vector, unit, 0, vector.length);
      vector = unit;
    }
    if (predicate !== undefined) {
      const from = eligible ?? this.#entries.keys();
      const kept = new Set<number>();
      for (const key of from) if (predicate(this.#entries.get(key)!.metadata)) kept.add(key);
      eligible = kept;
    }
    const total = this.size;
    const want = Math.min(topK, eligible?.size ?? total);
    if (want === 0) return { ids: [], similarities: [] };
    let fetch = eligible === undefined ? want : Math.ceil((want * OVERSAMPLE * total) / eligible.size) + 8;
    for (;;) {
      fetch = Math.min(fetch, total);
      const { keys, distances } = index.search(vector, fetch, 1);
      const ids: string[] = [];
      const similarities: number[] = [];
      for (let i = 0; i < keys.length && ids.length < want; i++) {
        const key = Number(keys[i]!);
        if (eligible !== undefined && !eligible.has(key)) continue;
        const entry = this.#entries.get(key);
        if (entry === undefined) continue;
        ids.push(entry.id);
        similarities.push(this.#similarity(distances[i]!));
      }
      if (ids.length >= want || fetch >= total) return { ids, similarities };
      fetch *= 4;
    }
  }

  /**
   * Saves the store to `dir` (created if missing): `ann_store.json` and an `ann-<generation>.usearch` file,
   * crash-safely (temp files, fsync, manifest last). Saving the index blocks the event loop (seconds at 1M vectors).
   */
  async persist(dir: string): Promise<void> {
    const viewed = this.#view;
    const path = await writeAnnFiles(dir, () => {
      const index = this.#index;
      const keys = [...this.#entries.keys()];
      const entries = [...this.#entries.values()];
      const manifest: Omit<AnnManifest, "generation" | "indexFile" | "indexSize"> = {
        format: "streamdex-ann",
        formatVersion: ANN_FORMAT_VERSION,
        config: { ...this.#config },
        nextKey: this.#nextKey,
        keys,
        ids: entries.map((e) => e.id),
        refDocIds: entries.map((e) => e.docKey),
        metadata: entries.map((e) => (Object.keys(e.metadata).length === 0 ? null : e.metadata)),
      };
      return { manifest, saveIndex: index === undefined ? undefined : (p) => index.save(p) };
    });
    // A view whose file a persist just replaced points at the new copy, so a later upgrade can still read it.
    if (path !== undefined && viewed !== undefined && this.#view === viewed) {
      this.#view = { path, stat: statSync(path) };
    }
  }

  /** Opens a store written by {@link persist}: memory-mapped by default (see {@link AnnLoadOptions.mode}). */
  static async load(dir: string, options: AnnLoadOptions = {}): Promise<AnnVectorStore> {
    const mode = options.mode ?? "view";
    if (mode !== "view" && mode !== "load") {
      throw new InvalidArgumentError("mode", `expected "view" or "load", got ${describe(mode)}.`);
    }
    const { manifest: m, indexPath, indexStat } = await readAnnFiles(dir);
    const store = new AnnVectorStore({
      ...m.config,
      dimensions: m.config.dimensions ?? undefined,
      expansionSearch: options.expansionSearch ?? m.config.expansionSearch,
      threads: options.threads,
      importer: options.importer,
    });
    store.#nextKey = m.nextKey;
    for (let i = 0; i < m.keys.length; i++) {
      const key = m.keys[i]!;
      const id = m.ids[i]!;
      if (store.#idToKey.has(id))
        throw new StorageError(`the ANN store in ${dir} lists the id "${id}" twice.`);
      store.#entries.set(key, { id, docKey: m.refDocIds[i]!, metadata: m.metadata[i] ?? {} });
      store.#idToKey.set(id, key);
      store.#file(m.refDocIds[i]!, key);
    }
    if (indexPath === undefined || m.config.dimensions === null) return store;
    const index = await store.#create(m.config.dimensions);
    try {
      if (mode === "view") index.view(indexPath);
      else index.load(indexPath);
    } catch (error) {
      throw new StorageError(`cannot open the ANN index ${indexPath}: ${String(error)}`, { cause: error });
    }
    if (index.size() !== m.keys.length || index.dimensions() !== m.config.dimensions) {
      throw new StorageError(
        `the ANN store in ${dir} is corrupt (the index holds ${index.size()} vectors of ${index.dimensions()} ` +
          `dimensions; the manifest lists ${m.keys.length} of ${m.config.dimensions}). Rebuild it and persist again.`,
      );
    }
    store.#index = index;
    if (mode === "view") store.#view = { path: indexPath, stat: indexStat! };
    return store;
  }

  #similarity(distance: number): number {
    return this.#config.metric === "l2" ? 1 / (1 + distance) : 1 - distance;
  }

  /** Creates an empty usearch index of `dims` dimensions with this store's settings. */
  async #create(dims: number): Promise<UsearchIndex> {
    this.#module ??= await loadUsearch(this.#importer);
    const c = this.#config;
    const index = new this.#module.Index({
      dimensions: dims,
      metric: USEARCH_METRIC[c.metric],
      quantization: c.quantization,
      connectivity: c.connectivity,
      expansion_add: c.expansionAdd,
      expansion_search: c.expansionSearch,
      multi: false,
    });
    this.#config.dimensions = dims;
    return index;
  }

  /** The index, ready for changes: created on first use; a memory-mapped view is first read into memory. */
  async #writable(dims: number): Promise<UsearchIndex> {
    if (this.#index === undefined) {
      this.#index = await this.#create(dims);
      return this.#index;
    }
    const view = this.#view;
    if (view === undefined) return this.#index;
    if (!sameFile(view.path, view.stat)) {
      throw new StorageError(
        `the ANN index file ${view.path} changed or vanished since it was memory-mapped, so it cannot be read into ` +
          'memory for changes: load the store again (or with { mode: "load" }).',
      );
    }
    const index = await this.#create(dims);
    index.load(view.path);
    this.#index = index;
    this.#view = undefined;
    return index;
  }

  #forget(key: number): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#idToKey.delete(entry.id);
    const keys = this.#docToKeys.get(entry.docKey);
    keys?.delete(key);
    if (keys?.size === 0) this.#docToKeys.delete(entry.docKey);
  }

  #file(docKey: string, key: number): void {
    const keys = this.#docToKeys.get(docKey);
    if (keys === undefined) this.#docToKeys.set(docKey, new Set([key]));
    else keys.add(key);
  }

  #keysOf(docIds: unknown): Set<number> {
    if (!Array.isArray(docIds) || docIds.some((id) => typeof id !== "string")) {
      throw new InvalidArgumentError(
        "docIds",
        `expected an array of document ids (strings), got ${describe(docIds)}.`,
      );
    }
    const keys = new Set<number>();
    for (const docId of docIds as string[]) for (const key of this.#docToKeys.get(docId) ?? []) keys.add(key);
    return keys;
  }
}
