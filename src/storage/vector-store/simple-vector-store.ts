import { InvalidArgumentError, StorageError } from "../../errors/index.js";
import type { TextNode } from "../../schema/node.js";
import { describe, optionalBoolean } from "../../utils/validate.js";
import { canScreen, finishRowStats, screen, statsIndex, writeQuery } from "./exact-screening.js";
import { compileFilters, type MetadataPredicate } from "./metadata-filters.js";
import { TopK } from "./top-k.js";
import type { VectorStore, VectorStoreQuery, VectorStoreQueryResult } from "./types.js";
import { VectorArena } from "./vector-arena.js";
import {
  checkEmbeddings,
  checkVector,
  embeddingOf,
  embeddingsOf,
  squaredNorm,
  writeUnit,
} from "./vector-input.js";
import { createKernels, isLittleEndian, type KernelBackend, type VectorKernels } from "./vector-kernels.js";
import {
  parseHeader,
  type SimpleVectorStoreHeader,
  VECTOR_STORE_FORMAT_VERSION,
} from "./vector-store-header.js";

export type { KernelBackend } from "./vector-kernels.js";
export type { SimpleVectorStoreHeader } from "./vector-store-header.js";

/** Options of {@link SimpleVectorStore}. Neither changes results, only speed. */
export interface SimpleVectorStoreOptions {
  /** `"auto"` (default): WebAssembly SIMD when available, else JavaScript. */
  backend?: "auto" | KernelBackend;
  /**
   * Screen rows with an int8 copy and rescore only those whose error bound lets them reach the top k (default
   * `true`). `false` computes the float32 score of every row. Both return the same results.
   */
  screening?: boolean;
}

/** Options of {@link SimpleVectorStore.fromBinary}. */
export interface SimpleVectorStoreLoadOptions extends SimpleVectorStoreOptions {
  /** Metadata of a node, for files of format version 1, which kept none (e.g. from the docstore). */
  metadataOf?: (id: string) => Record<string, unknown> | undefined;
}

/** How the last query was answered: `rescored` rows got an exact float32 score. */
export interface SimpleVectorStoreQueryStats {
  strategy: "screened" | "exact";
  /** Rows the query could return (after `docIds` and `filters`). */
  candidates: number;
  rescored: number;
}

/**
 * Rows per normalize call in `add`: they are copied in then normalized while still in cache (~400 KB at 1536
 * dimensions). On the 2-core benchmark machine 16, 64, 256 rows or the whole batch per call measured the same.
 */
const ADD_CHUNK_ROWS = 64;

/** Below this many candidate rows, an exhaustive float32 scan is as fast as screening. */
const SCREEN_MIN_ROWS = 256;

/**
 * An in-memory vector store with exact cosine top-k. It keeps ids, source-document ids, vectors and a shallow copy
 * of each node's metadata (for `filters`; JSON-serialisable) but no text (`storesText` is false: fetch nodes from
 * a docstore). Vectors are L2-normalised into one contiguous
 * `Float32Array` (WebAssembly memory when available), so similarity is a dot product.
 *
 * Queries first score every row with an int8 copy (WebAssembly SIMD, ~4× less memory traffic), derive a rigorous
 * per-row bound on the float32 score, and compute the exact float32 score only for rows whose upper bound reaches
 * the k-th best lower bound. Results equal a brute-force float32 scan (same scores, bit for bit).
 *
 * A node's document is its `refDocId`, or the node's own id when it has none (so a `Document` added directly can
 * be deleted by its id). Adding a node whose id is stored replaces its vector, document and metadata (upsert).
 *
 * @example
 * ```ts
 * const store = new SimpleVectorStore();
 * await store.add([new TextNode({ text: "a", embedding: [1, 0], refDocId: "doc" })]);
 * const { ids, similarities } = await store.query({ queryEmbedding: [1, 0.1], similarityTopK: 2 });
 * await store.delete("doc");
 * ```
 */
export class SimpleVectorStore implements VectorStore {
  readonly storesText = false;
  /** How the last query was answered (for benchmarks and diagnostics). */
  lastQueryStats: SimpleVectorStoreQueryStats | undefined;
  private readonly kernels: VectorKernels;
  private readonly screening: boolean;
  private arena: VectorArena | undefined;
  private ids: string[] = [];
  private docKeys: string[] = [];
  private metadata: Record<string, unknown>[] = [];
  private readonly idToRow = new Map<string, number>();
  private readonly docToIds = new Map<string, Set<string>>();
  private _revision = 0;

  constructor(options: SimpleVectorStoreOptions = {}) {
    const backend = options.backend ?? "auto";
    if (backend !== "auto" && backend !== "wasm" && backend !== "js") {
      throw new InvalidArgumentError("backend", `expected "auto", "wasm" or "js", got ${describe(backend)}.`);
    }
    this.kernels = createKernels(backend);
    this.screening = optionalBoolean("screening", options.screening, true);
  }

  /** Number of vectors stored. */
  get size(): number {
    return this.ids.length;
  }

  /** Dimensions of the stored vectors, fixed by the first `add`; `undefined` before it. */
  get dimensions(): number | undefined {
    return this.arena?.dims;
  }

  /** Which kernels run the queries. */
  get backend(): KernelBackend {
    return this.kernels.backend;
  }

  /** Increases on every change; persistence uses it to detect a change during an async write. */
  get revision(): number {
    return this._revision;
  }

  /** Whether a vector with this node id is stored. */
  has(id: string): boolean {
    return this.idToRow.has(id);
  }

  /** The vector stored for `id` (the unit row times the original norm: the added vector up to float32 rounding). */
  get(id: string): Float32Array | undefined {
    const row = this.idToRow.get(id);
    const arena = this.arena;
    if (row === undefined || arena === undefined) return undefined;
    const base = arena.rowOffset(row) >> 2;
    const norm = arena.f64[statsIndex(arena, row) + 3]!;
    return arena.f32.slice(base, base + arena.dims).map((v) => v * norm);
  }

  /** The metadata stored for `id` (a copy taken at `add`). */
  getMetadata(id: string): Record<string, unknown> | undefined {
    const row = this.idToRow.get(id);
    return row === undefined ? undefined : this.metadata[row];
  }

  /** Adds (or replaces, by id) the nodes' `embedding`s. All-or-nothing: a bad node leaves the store unchanged. */
  async add(nodes: TextNode[]): Promise<string[]> {
    if (!Array.isArray(nodes)) {
      throw new InvalidArgumentError("nodes", `expected an array of nodes, got ${describe(nodes)}.`);
    }
    const n = nodes.length;
    if (n === 0) return [];
    const dims = this.arena?.dims ?? embeddingOf(nodes[0], 0).length;
    const vectors = embeddingsOf(nodes, dims);
    const size = this.size;
    // A stored id keeps its row; new ids get rows size, size + 1, … in order of first appearance. `writer[r - size]`
    // is the last node with the id of new row r: the one whose vector it keeps.
    const rows = new Int32Array(n);
    const writer = new Int32Array(n);
    const added = new Map<string, number>();
    let count = size;
    let others = false;
    for (let i = 0; i < n; i++) {
      const id = nodes[i]!.id;
      let row = this.idToRow.get(id);
      if (row === undefined) {
        row = added.get(id);
        if (row === undefined) {
          row = count++;
          added.set(id, row);
        } else others = true;
        writer[row - size] = i;
      } else others = true;
      rows[i] = row;
    }
    // Until the checks pass, only rows past `size` (which hold no vector) are written: the store is unchanged.
    const arena = this.arena ?? new VectorArena(this.kernels, dims, n);
    arena.reserve(count, size);
    const { f32, f64, stride } = arena;
    // New rows: copy each vector into its row, then normalize and quantize in place, a chunk per kernel call.
    for (let r0 = size; r0 < count; r0 += ADD_CHUNK_ROWS) {
      const r1 = Math.min(count, r0 + ADD_CHUNK_ROWS);
      for (let r = r0; r < r1; r++) {
        const base = arena.rowOffset(r) >> 2;
        f32.set(vectors[writer[r - size]!]!, base);
        if (stride > dims) f32.fill(0, base + dims, base + stride);
      }
      this.kernels.normalize(
        arena.rowOffset(r0),
        arena.rows8Offset + r0 * stride,
        r1 - r0,
        stride,
        statsIndex(arena, r0) * 8,
        arena.normsOffset + r0 * 8,
      );
    }
    const norms = arena.normsOffset >> 3;
    let valid = true;
    for (let r = size; r < count; r++) valid &&= Number.isFinite(f64[norms + r]!);
    // The other nodes replace a stored row, or are replaced by a later node of the batch: checked here.
    const sumSq = others ? new Float64Array(n) : undefined;
    if (sumSq !== undefined) {
      for (let i = 0; i < n; i++) {
        const row = rows[i]!;
        if (row >= size && writer[row - size] === i) continue;
        sumSq[i] = squaredNorm(vectors[i]!);
        valid &&= Number.isFinite(sumSq[i]!);
      }
    }
    if (!valid) {
      checkEmbeddings(nodes, dims);
      throw new InvalidArgumentError("nodes", "an embedding has a non-finite value.");
    }
    this.arena = arena;
    for (let r = size; r < count; r++) finishRowStats(arena, r, f64[norms + r]!);
    const ids = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const node = nodes[i]!;
      const row = rows[i]!;
      if (row < size) {
        const norm = writeUnit(vectors[i]!, f32, arena.rowOffset(row) >> 2, stride, sumSq![i]);
        const statsOffset = statsIndex(arena, row) * 8;
        this.kernels.quantize(arena.rowOffset(row), arena.rows8Offset + row * stride, 1, stride, statsOffset);
        finishRowStats(arena, row, norm);
      }
      if (row < this.ids.length) this.docToIds.get(this.docKeys[row]!)?.delete(node.id);
      const docKey = node.refDocId ?? node.id;
      this.ids[row] = node.id;
      this.docKeys[row] = docKey;
      this.metadata[row] = { ...node.metadata };
      this.idToRow.set(node.id, row);
      this.file(docKey, node.id);
      ids[i] = node.id;
    }
    this._revision++;
    return ids;
  }

  /** Removes every vector of the document `refDocId` in O(rows removed): the last rows move into the holes. */
  async delete(refDocId: string): Promise<void> {
    if (typeof refDocId !== "string") {
      throw new InvalidArgumentError("refDocId", `expected a string, got ${describe(refDocId)}.`);
    }
    const ids = this.docToIds.get(refDocId);
    const arena = this.arena;
    if (ids === undefined || arena === undefined) return;
    for (const id of ids) {
      const row = this.idToRow.get(id)!;
      const last = this.ids.length - 1;
      if (row !== last) {
        arena.moveRow(last, row);
        const movedId = this.ids[last]!;
        this.ids[row] = movedId;
        this.docKeys[row] = this.docKeys[last]!;
        this.metadata[row] = this.metadata[last]!;
        this.idToRow.set(movedId, row);
      }
      this.ids.pop();
      this.docKeys.pop();
      this.metadata.pop();
      this.idToRow.delete(id);
    }
    this.docToIds.delete(refDocId);
    this._revision++;
  }

  /**
   * The `similarityTopK` most cosine-similar vectors, best first (fewer when the store holds fewer). With `docIds`,
   * only vectors of those documents are considered (`[]` matches nothing); with `filters`, only vectors whose
   * metadata matches (see `metadata-filters.ts`), selected before ranking: the exact top k among the matching rows.
   * Similarities are the float32 dot
   * products of the unit vectors (a zero vector scores 0).
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
    const embedding = checkVector("queryEmbedding", query.queryEmbedding);
    const predicate = query.filters === undefined ? undefined : compileFilters(query.filters);
    const arena = this.arena;
    if (arena === undefined || this.size === 0) return { ids: [], similarities: [] };
    if (embedding.length !== arena.dims) {
      throw new InvalidArgumentError(
        "queryEmbedding",
        `it has ${embedding.length} dimensions but the store holds ${arena.dims}-dimensional vectors: ` +
          "embed the query with the model used for the nodes.",
      );
    }
    let eligible = query.docIds === undefined ? undefined : this.rowsOf(query.docIds);
    if (predicate !== undefined) eligible = this.matching(eligible, predicate);
    const candidates = eligible?.length ?? this.size;
    if (candidates === 0) {
      this.lastQueryStats = { strategy: "exact", candidates, rescored: 0 };
      return { ids: [], similarities: [] };
    }
    const k = Math.min(topK, candidates);
    const qNorm = writeQuery(arena, embedding);
    const exact =
      !this.screening ||
      candidates < SCREEN_MIN_ROWS ||
      candidates <= 4 * k ||
      !canScreen(arena.stride) ||
      (eligible !== undefined && candidates * 4 <= this.size);
    const top = new TopK(k);
    let rescored = candidates;
    if (exact) {
      const q = arena.queryOffset;
      const n = arena.stride;
      if (eligible === undefined)
        for (let r = 0; r < candidates; r++) top.offer(this.kernels.dot(q, arena.rowOffset(r), n), r);
      else for (const r of eligible) top.offer(this.kernels.dot(q, arena.rowOffset(r), n), r);
    } else {
      let mask: Uint8Array | undefined;
      if (eligible !== undefined) {
        mask = new Uint8Array(this.size);
        for (const r of eligible) mask[r] = 1;
      }
      rescored = screen(arena, this.size, qNorm, k, mask, top);
    }
    const { indices, scores } = top.drain();
    this.lastQueryStats = { strategy: exact ? "exact" : "screened", candidates, rescored };
    return { ids: indices.map((r) => this.ids[r]!), similarities: scores };
  }

  /**
   * The store's contents for persistence: a JSON header and the unit rows as little-endian float32 (`count × dims`).
   * `rows` may be a view of the store's memory: use it before the next `add`/`delete` (check {@link revision}).
   */
  toBinary(): { header: SimpleVectorStoreHeader; rows: Uint8Array } {
    const arena = this.arena;
    const count = this.size;
    const norms = Array.from({ length: count }, (_, r) => arena!.f64[statsIndex(arena!, r) + 3]!);
    const header: SimpleVectorStoreHeader = {
      formatVersion: VECTOR_STORE_FORMAT_VERSION,
      dims: arena?.dims ?? null,
      count,
      ids: [...this.ids],
      refDocIds: [...this.docKeys],
      norms,
      metadata: [...this.metadata],
    };
    if (arena === undefined || count === 0) return { header, rows: new Uint8Array(0) };
    const { dims, stride } = arena;
    if (dims === stride && isLittleEndian()) {
      return { header, rows: new Uint8Array(arena.kernels.buffer, arena.rowsOffset, count * dims * 4) };
    }
    const rows = new Uint8Array(count * dims * 4);
    const view = new DataView(rows.buffer);
    for (let r = 0; r < count; r++) {
      const base = arena.rowOffset(r) >> 2;
      for (let j = 0; j < dims; j++) view.setFloat32((r * dims + j) * 4, arena.f32[base + j]!, true);
    }
    return { header, rows };
  }

  /**
   * Rebuilds a store from {@link toBinary}'s output. `rows` is the bytes, or a function that fills the buffer it is
   * given (e.g. reads a file straight into the store's memory). Throws {@link StorageError} when they do not match.
   * Version 1 headers carry no metadata: it comes from `options.metadataOf`, else is empty.
   */
  static async fromBinary(
    header: unknown,
    rows: Uint8Array | ((target: Uint8Array) => Promise<void>),
    options?: SimpleVectorStoreLoadOptions,
  ): Promise<SimpleVectorStore> {
    const h = parseHeader(header);
    const store = new SimpleVectorStore(options);
    if (h.dims === null) return store;
    const arena = store.createArena(h.dims, h.count);
    const bytes = h.count * h.dims * 4;
    const direct = arena.stride === h.dims && isLittleEndian();
    const target = direct
      ? new Uint8Array(arena.kernels.buffer, arena.rowsOffset, bytes)
      : new Uint8Array(bytes);
    if (typeof rows === "function") await rows(target);
    else if (rows.byteLength !== bytes) {
      throw new StorageError(
        `the vectors hold ${rows.byteLength} bytes, ${bytes} expected (${h.count} × ${h.dims} × 4).`,
      );
    } else target.set(rows);
    if (!direct) {
      const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
      for (let r = 0; r < h.count; r++) {
        const base = arena.rowOffset(r) >> 2;
        for (let j = 0; j < h.dims; j++) arena.f32[base + j] = view.getFloat32((r * h.dims + j) * 4, true);
        arena.f32.fill(0, base + h.dims, base + arena.stride);
      }
    }
    store.kernels.quantize(arena.rowsOffset, arena.rows8Offset, h.count, arena.stride, arena.statsOffset);
    for (let r = 0; r < h.count; r++) {
      const sumSquares = arena.f64[statsIndex(arena, r) + 3]!;
      const norm = h.norms[r]!;
      if ((norm === 0) !== (sumSquares === 0) || !(norm === 0 || Math.abs(sumSquares - 1) <= 1e-4)) {
        throw new StorageError(
          `vector ${r} ("${h.ids[r]}") is not unit-length: the vectors do not match the header.`,
        );
      }
      finishRowStats(arena, r, norm);
      const id = h.ids[r]!;
      const docKey = h.refDocIds[r]!;
      if (store.idToRow.has(id)) throw new StorageError(`the vector id "${id}" appears twice.`);
      store.idToRow.set(id, r);
      store.file(docKey, id);
    }
    store.ids = [...h.ids];
    store.docKeys = [...h.refDocIds];
    store.metadata =
      h.metadata?.map((m) => ({ ...m })) ?? h.ids.map((id) => ({ ...options?.metadataOf?.(id) }));
    return store;
  }

  private createArena(dims: number, capacity: number): VectorArena {
    const arena = new VectorArena(this.kernels, dims, capacity);
    this.arena = arena;
    return arena;
  }

  /** Records that node `id` belongs to document `docKey`. */
  private file(docKey: string, id: string): void {
    const ids = this.docToIds.get(docKey);
    if (ids === undefined) this.docToIds.set(docKey, new Set([id]));
    else ids.add(id);
  }

  /** The rows among `rows` (default: all) whose metadata satisfies `predicate`, ascending. */
  private matching(rows: Int32Array | undefined, predicate: MetadataPredicate): Int32Array {
    const out: number[] = [];
    if (rows === undefined) {
      for (let r = 0; r < this.metadata.length; r++) if (predicate(this.metadata[r]!)) out.push(r);
    } else for (const r of rows) if (predicate(this.metadata[r]!)) out.push(r);
    return Int32Array.from(out);
  }

  /** Rows of the documents `docIds`, ascending. */
  private rowsOf(docIds: unknown): Int32Array {
    if (!Array.isArray(docIds) || docIds.some((id) => typeof id !== "string")) {
      throw new InvalidArgumentError(
        "docIds",
        `expected an array of document ids (strings), got ${describe(docIds)}.`,
      );
    }
    const rows: number[] = [];
    for (const docId of new Set<string>(docIds)) {
      for (const id of this.docToIds.get(docId) ?? []) rows.push(this.idToRow.get(id)!);
    }
    return Int32Array.from(rows).sort();
  }
}
