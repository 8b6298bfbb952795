import { StorageError } from "../../errors/index.js";
import { describe } from "../../utils/validate.js";

/** The JSON part of a persisted {@link SimpleVectorStore} (`vector_store.json`); the rows are stored separately. */
export interface SimpleVectorStoreHeader {
  /** 2 since per-row metadata (version 1 files, without it, still load). */
  formatVersion: 1 | 2;
  /** Dimensions of every vector; `null` for a store that never held one. */
  dims: number | null;
  count: number;
  ids: string[];
  /** Per row: the node's `refDocId`, or its own id when it has none. */
  refDocIds: string[];
  /** Per row: the L2 norm of the vector as added (rows are stored unit-length; row × norm ≈ the original). */
  norms: number[];
  /** Per row: the node's metadata (for metadata filters). Absent in version 1. */
  metadata?: Record<string, unknown>[];
}

/** The format version {@link SimpleVectorStore.toBinary} writes. */
export const VECTOR_STORE_FORMAT_VERSION = 2;

/** `header` checked to be a {@link SimpleVectorStoreHeader}; {@link StorageError} otherwise. */
export function parseHeader(header: unknown): SimpleVectorStoreHeader {
  const h = header as Partial<SimpleVectorStoreHeader> | null;
  const bad = (what: string) => new StorageError(`vector store header: ${what}.`);
  if (h === null || typeof h !== "object") throw bad("not an object");
  if (h.formatVersion !== 1 && h.formatVersion !== 2) {
    throw bad(`format version ${describe(h.formatVersion)}, this version reads 1 and 2`);
  }
  const { count, dims } = h;
  if (typeof count !== "number" || !Number.isInteger(count) || count < 0)
    throw bad(`bad count ${describe(count)}`);
  if (dims === null ? count !== 0 : typeof dims !== "number" || !Number.isInteger(dims) || dims < 1) {
    throw bad(`bad dims ${describe(dims)}`);
  }
  const listOf = (list: unknown, isItem: (v: unknown) => boolean, what: string) => {
    if (!Array.isArray(list) || list.length !== count || !list.every(isItem)) {
      throw bad(`${what} must list ${count} items`);
    }
  };
  listOf(h.ids, (v) => typeof v === "string", "ids");
  listOf(h.refDocIds, (v) => typeof v === "string", "refDocIds");
  listOf(h.norms, (v) => typeof v === "number" && Number.isFinite(v) && v >= 0, "norms");
  if (h.formatVersion === 2) {
    listOf(h.metadata, (v) => typeof v === "object" && v !== null && !Array.isArray(v), "metadata");
  } else if (h.metadata !== undefined) throw bad("version 1 has no metadata");
  return h as SimpleVectorStoreHeader;
}
