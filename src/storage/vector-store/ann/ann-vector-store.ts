import { type Stats, statSync } from "node:fs";
import { InvalidArgumentError, StorageError } from "../../../errors/index.js";
import type { TextNode } from "../../../schema/node.js";
import { describe, optionalInteger } from "../../../utils/validate.js";
import { compileFilters } from "../metadata-filters.js";
import type { VectorStore, VectorStoreQuery, VectorStoreQueryResult } from "../types.js";
import { checkEmbedding, checkVector, embeddingOf, writeUnit } from "../vector-input.js";
import { type AnnConfig, type AnnQuantization, readAnnFiles, sameFile, writeAnnFiles } from "./ann-files.js";
import { AnnRowsTable, MAX_KEY } from "./ann-rows-table.js";
import { loadUsearch, type UsearchIndex, type UsearchModule } from "./usearch-module.js";

/** Options of {@link AnnVectorStore}. */
export interface AnnVectorStoreOptions {
  /** Vector dimensions; default: those of the first `add`. */
  dimensions?: number;
  /** `"cosine"` (default; vectors are L2-normalised), `"ip"` (inner product) or `"l2"` (squared Euclidean). */
  metric?: "cosine" | "ip" | "l2";
  /** HNSW edges per node (default 16): more = better recall, more memory, slower build. */
  connectivity?: number;
  /** Candidate-list size while inserting (default 128): more = better graph (recall), slower build. */
  expansionAdd?: number;
  /**
   * Candidate-list size while searching (default 128; at least k is used): more = better recall, slower queries.
   * Also settable per load ({@link AnnLoadOptions.expansionSearch}).
   */
  expansionSearch?: number;
  /**
   * How vectors are stored in the index. `"bf16"` (default) and `"f16"`: 2 bytes per component, half the memory and
   * file size of `"f32"`, and faster to build and search (less memory traffic per distance); similarities are then
   * accurate to about 1e-3. `"f32"`: exact similarities. `"i8"`: 1 byte, but usearch scales every vector to unit
   * length before rounding, so it suits `"cosine"` only, and its rounding costs recall (below 0.95 at any
   * `expansionSearch` on 384-d embedding-like data in `npm run bench -- ann`).
   */
  quantization?: AnnQuantization;
  /** Threads used by `add` (default 0: every core). Queries use one thread. */
  threads?: number;
  /** Replaces `import("usearch")` (tests). */
  importer?: () => Promise<UsearchModule>;
}

/** Options of {@link AnnVectorStore.load}. */
export interface AnnLoadOptions {
  /**
   * `"view"` (default): memory-map the index file (instant; pages load on demand); the first `add`/`delete` then
   * reads it into memory. `"load"`: read it into memory now. Either way the rows (ids, documents, metadata) are
   * read at once, and the id and document indexes are built on first use: the first `add`, `delete`, `has`,
   * `getMetadata` or `docIds` query after a load takes longer (about a second at 1M rows).
   */
  mode?: "view" | "load";
  /** Overrides the persisted `expansionSearch` (tune recall against latency without rebuilding). */
  expansionSearch?: number;
  threads?: number;
  importer?: () => Promise<UsearchModule>;
}

const QUANTIZATIONS: readonly AnnQuantization[] = ["bf16", "f16", "f32", "i8"];
const USEARCH_METRIC = { cosine: "cos", ip: "ip", l2: "l2sq" } as const;
/** First oversampling factor for filtered queries, over `k / (fraction of rows eligible)`. */
const OVERSAMPLE = 2;

/**
 * An approximate nearest-neighbour {@link VectorStore} on a usearch HNSW index (optional peer `usearch`), for
 * collections too large for the exact `SimpleVectorStore`. Keeps ids, source-document ids and a copy of each
 * node's metadata, but no text (`storesText` is false). Similarity: cosine (`1 - cosine distance`), inner product,
 * or `1 / (1 + squared L2)` for `"l2"`; best first (to about 1e-3 with the default bf16 quantization). Results are
 * approximate: tune `expansionSearch`. With the defaults, 1M × 384 embedding-like vectors build in about 5 minutes
 * on 2 cores and answer top-10 in about 0.5 ms at recall@10 ≈ 0.97 (`npm run bench -- ann`; uniformly random
 * vectors, which have no structure for HNSW to use, reach far lower recall).
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
  private readonly config: AnnConfig;
  private readonly threads: number;
  private readonly importer: (() => Promise<UsearchModule>) | undefined;
  private index: UsearchIndex | undefined;
  private module: UsearchModule | undefined;
  /** Set while the index is a memory-mapped view of this file (read-only until {@link AnnVectorStore.writable}). */
  private view: { path: string; stat: Stats } | undefined;
  private readonly rows = new AnnRowsTable();
  private nextKey = 0;

  constructor(options: AnnVectorStoreOptions = {}) {
    const metric = options.metric ?? "cosine";
    if (!(metric in USEARCH_METRIC)) {
      throw new InvalidArgumentError("metric", `expected "cosine", "ip" or "l2", got ${describe(metric)}.`);
    }
    const quantization = options.quantization ?? "bf16";
    if (!QUANTIZATIONS.includes(quantization)) {
      throw new InvalidArgumentError(
        "quantization",
        `expected one of ${QUANTIZATIONS.map((q) => `"${q}"`).join(", ")}, got ${describe(quantization)}.`,
      );
    }
    const dims = optionalInteger("dimensions", options.dimensions, 1, 0);
    this.config = {
      dimensions: dims === 0 ? null : dims,
      metric,
      quantization,
      connectivity: optionalInteger("connectivity", options.connectivity, 2, 16),
      expansionAdd: optionalInteger("expansionAdd", options.expansionAdd, 1, 128),
      expansionSearch: optionalInteger("expansionSearch", options.expansionSearch, 1, 128),
    };
    this.threads = optionalInteger("threads", options.threads, 0, 0);
    this.importer = options.importer;
  }

  /** Number of vectors stored. */
  get size(): number {
    return this.rows.size;
  }

  /** Dimensions of the vectors (from the options or the first `add`). */
  get dimensions(): number | undefined {
    return this.config.dimensions ?? undefined;
  }

  /** Whether a vector with this node id is stored. */
  has(id: string): boolean {
    return this.rows.keyOf(id) !== undefined;
  }

  /** The metadata stored for `id` (a copy taken at `add`, or read from the persisted store). */
  getMetadata(id: string): Record<string, unknown> | undefined {
    const key = this.rows.keyOf(id);
    return key === undefined ? undefined : this.rows.metadata(key);
  }

  /** Adds (or replaces, by id) the nodes' embeddings, in one batched insert. Input is validated before any change. */
  async add(nodes: TextNode[]): Promise<string[]> {
    if (!Array.isArray(nodes)) {
      throw new InvalidArgumentError("nodes", `expected an array of nodes, got ${describe(nodes)}.`);
    }
    if (nodes.length === 0) return [];
    const dims = this.config.dimensions ?? embeddingOf(nodes[0], 0).length;
    const embeddings = nodes.map((node, i) => checkEmbedding(node, i, dims));
    const last = new Map<string, number>();
    for (const [i, node] of nodes.entries()) last.set(node.id, i);
    if (this.nextKey + last.size > MAX_KEY) {
      throw new StorageError("this ANN store has used all its 2^32 keys: rebuild it into a new store.");
    }
    const index = await this.writable(dims);
    const replaced = [...last.keys()].flatMap((id) => this.rows.keyOf(id) ?? []);
    if (replaced.length > 0) {
      index.remove(BigUint64Array.from(replaced, BigInt));
      for (const key of replaced) this.rows.forget(key);
    }
    const keys = new BigUint64Array(last.size);
    const matrix = new Float32Array(last.size * dims);
    const first = this.nextKey;
    let row = 0;
    for (const i of last.values()) {
      const embedding = embeddings[i]!;
      if (this.config.metric === "cosine") writeUnit(embedding, matrix, row * dims, dims);
      else matrix.set(embedding, row * dims);
      keys[row] = BigInt(first + row++);
    }
    this.nextKey += last.size;
    index.add(keys, matrix, this.threads);
    row = 0;
    for (const i of last.values()) {
      const node = nodes[i]!;
      const key = first + row++;
      this.rows.set(key, node.id, node.refDocId ?? node.id, { ...node.metadata });
    }
    return nodes.map((node) => node.id);
  }

  /** Removes every vector of the document `refDocId` (usearch marks them deleted; their slots are reused). */
  async delete(refDocId: string): Promise<void> {
    if (typeof refDocId !== "string") {
      throw new InvalidArgumentError("refDocId", `expected a string, got ${describe(refDocId)}.`);
    }
    const keys = this.rows.keysOfDoc(refDocId);
    if (keys === undefined || this.config.dimensions === null) return;
    const index = await this.writable(this.config.dimensions);
    index.remove(BigUint64Array.from(keys, BigInt));
    for (const key of [...keys]) this.rows.forget(key);
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
    const dims = this.config.dimensions;
    if (dims !== null && vector.length !== dims) {
      throw new InvalidArgumentError(
        "queryEmbedding",
        `it has ${vector.length} dimensions but the store holds ${dims}-dimensional vectors: ` +
          "embed the query with the model used for the nodes.",
      );
    }
    let eligible = query.docIds === undefined ? undefined : this.keysOf(query.docIds);
    const index = this.index;
    if (index === undefined || this.size === 0) return { ids: [], similarities: [] };
    if (this.config.metric === "cosine") {
      const unit = new Float32Array(vector.length);
      writeUnit(vector, unit, 0, vector.length);
      vector = unit;
    }
    if (predicate !== undefined) {
      const from = eligible ?? this.rows.keys();
      const kept = new Set<number>();
      for (const key of from) if (predicate(this.rows.metadataView(key))) kept.add(key);
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
        const id = this.rows.idOf(key);
        if (id === undefined) continue;
        ids.push(id);
        similarities.push(this.similarity(distances[i]!));
      }
      if (ids.length >= want || fetch >= total) return { ids, similarities };
      fetch *= 4;
    }
  }

  /**
   * Saves the store to `dir` (created if missing): `ann_store.json`, an `ann-<generation>.usearch` index file and
   * an `ann-<generation>.rows` file (ids, source-document ids and metadata in columns), crash-safely (temp files,
   * fsync, manifest last). Saving the index blocks the event loop (seconds at 1M vectors).
   */
  async persist(dir: string): Promise<void> {
    const viewed = this.view;
    const path = await writeAnnFiles(dir, () => {
      const index = this.index;
      return {
        config: { ...this.config },
        nextKey: this.nextKey,
        rows: this.rows.columns(),
        saveIndex: index === undefined ? undefined : (p) => index.save(p),
      };
    });
    // A view whose file a persist just replaced points at the new copy, so a later upgrade can still read it.
    if (path !== undefined && viewed !== undefined && this.view === viewed) {
      this.view = { path, stat: statSync(path) };
    }
  }

  /**
   * Opens a store written by {@link persist} (format 2, or format 1 from earlier versions): memory-mapped by default
   * (see {@link AnnLoadOptions.mode}). Missing, truncated or damaged files reject with a `StorageError`.
   */
  static async load(dir: string, options: AnnLoadOptions = {}): Promise<AnnVectorStore> {
    const mode = options.mode ?? "view";
    if (mode !== "view" && mode !== "load") {
      throw new InvalidArgumentError("mode", `expected "view" or "load", got ${describe(mode)}.`);
    }
    const { config, nextKey, rows, indexPath, indexStat } = await readAnnFiles(dir);
    const store = new AnnVectorStore({
      ...config,
      dimensions: config.dimensions ?? undefined,
      expansionSearch: options.expansionSearch ?? config.expansionSearch,
      threads: options.threads,
      importer: options.importer,
    });
    store.nextKey = nextKey;
    const problem = store.rows.load(rows);
    if (problem !== undefined) {
      throw new StorageError(
        `the ANN store in ${dir} is corrupt (${problem}). Rebuild it and persist again.`,
      );
    }
    if (indexPath === undefined || config.dimensions === null) return store;
    const index = await store.create(config.dimensions);
    try {
      if (mode === "view") index.view(indexPath);
      else index.load(indexPath);
    } catch (error) {
      throw new StorageError(`cannot open the ANN index ${indexPath}: ${String(error)}`, { cause: error });
    }
    if (index.size() !== rows.count || index.dimensions() !== config.dimensions) {
      throw new StorageError(
        `the ANN store in ${dir} is corrupt (the index holds ${index.size()} vectors of ${index.dimensions()} ` +
          `dimensions; the rows list ${rows.count} of ${config.dimensions}). Rebuild it and persist again.`,
      );
    }
    store.index = index;
    if (mode === "view") store.view = { path: indexPath, stat: indexStat! };
    return store;
  }

  private similarity(distance: number): number {
    return this.config.metric === "l2" ? 1 / (1 + distance) : 1 - distance;
  }

  /** Creates an empty usearch index of `dims` dimensions with this store's settings. */
  private async create(dims: number): Promise<UsearchIndex> {
    this.module ??= await loadUsearch(this.importer);
    const c = this.config;
    const index = new this.module.Index({
      dimensions: dims,
      metric: USEARCH_METRIC[c.metric],
      quantization: c.quantization,
      connectivity: c.connectivity,
      expansion_add: c.expansionAdd,
      expansion_search: c.expansionSearch,
      multi: false,
    });
    this.config.dimensions = dims;
    return index;
  }

  /** The index, ready for changes: created on first use; a memory-mapped view is first read into memory. */
  private async writable(dims: number): Promise<UsearchIndex> {
    if (this.index === undefined) {
      this.index = await this.create(dims);
      return this.index;
    }
    const view = this.view;
    if (view === undefined) return this.index;
    if (!sameFile(view.path, view.stat)) {
      throw new StorageError(
        `the ANN index file ${view.path} changed or vanished since it was memory-mapped, so it cannot be read into ` +
          'memory for changes: load the store again (or with { mode: "load" }).',
      );
    }
    const index = await this.create(dims);
    index.load(view.path);
    this.index = index;
    this.view = undefined;
    return index;
  }

  private keysOf(docIds: unknown): Set<number> {
    if (!Array.isArray(docIds) || docIds.some((id) => typeof id !== "string")) {
      throw new InvalidArgumentError(
        "docIds",
        `expected an array of document ids (strings), got ${describe(docIds)}.`,
      );
    }
    const keys = new Set<number>();
    for (const docId of docIds as string[]) for (const key of this.rows.keysOfDoc(docId) ?? []) keys.add(key);
    return keys;
  }
}
