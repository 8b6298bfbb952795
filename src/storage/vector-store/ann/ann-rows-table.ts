import { StorageError } from "../../../errors/index.js";
import type { DecodedRows, RowColumns } from "./ann-rows.js";

/** Metadata shared by the loaded rows with the same JSON text: parsed once, when a filter first reads it. */
class SharedMetadata {
  private _parsed: Readonly<Record<string, unknown>> | undefined;
  constructor(readonly json: string) {}
  get parsed(): Readonly<Record<string, unknown>> {
    this._parsed ??= Object.freeze(JSON.parse(this.json) as Record<string, unknown>);
    return this._parsed;
  }
}

/** Keys index arrays: beyond this they would not be array elements. */
export const MAX_KEY = 2 ** 32 - 1;
const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * The per-vector rows of an {@link AnnVectorStore}: usearch key → node id, source document and metadata, in
 * arrays indexed by key (keys are small integers handed out in sequence), so loading a million rows is a few
 * array writes per row. The id → key and document → keys indexes are built on first use (the first `add`,
 * `delete`, `has`, `getMetadata` or `docIds` query after a load), not by the load itself.
 *
 * A row's metadata is its own object (`own`: set by `add`, or parsed from the file when asked for) or, for a row
 * just loaded, the {@link SharedMetadata} of its JSON text; neither means empty metadata.
 */
export class AnnRowsTable {
  private readonly ids: (string | undefined)[] = [];
  private readonly docs: (string | undefined)[] = [];
  private readonly own: (Record<string, unknown> | undefined)[] = [];
  private readonly shared: (SharedMetadata | undefined)[] = [];
  private _size = 0;
  private idToKey: Map<string, number> | undefined;
  private docToKeys: Map<string, Set<number>> | undefined;

  get size(): number {
    return this._size;
  }

  keyOf(id: string): number | undefined {
    return this.idIndex().get(id);
  }

  /** The node id of `key`, if stored. */
  idOf(key: number): string | undefined {
    return this.ids[key];
  }

  *keys(): IterableIterator<number> {
    const ids = this.ids;
    for (let key = 0; key < ids.length; key++) if (ids[key] !== undefined) yield key;
  }

  keysOfDoc(docKey: string): ReadonlySet<number> | undefined {
    return this.docIndex().get(docKey);
  }

  /** The row's metadata object (its own, mutable copy: the one `add` took, or parsed from the file once). */
  metadata(key: number): Record<string, unknown> | undefined {
    if (this.ids[key] === undefined) return undefined;
    let own = this.own[key];
    if (own === undefined) {
      const shared = this.shared[key];
      own = shared === undefined ? {} : (JSON.parse(shared.json) as Record<string, unknown>);
      this.own[key] = own;
    }
    return own;
  }

  /** The row's metadata for reading only (filters): shared between loaded rows with equal metadata. */
  metadataView(key: number): Readonly<Record<string, unknown>> {
    return this.own[key] ?? this.shared[key]?.parsed ?? EMPTY;
  }

  /** Stores a row under a new key (the caller has removed any row with the same id). */
  set(key: number, id: string, docKey: string, metadata: Record<string, unknown>): void {
    this.ids[key] = id;
    this.docs[key] = docKey;
    this.own[key] = metadata;
    this.shared[key] = undefined;
    this._size++;
    this.idToKey?.set(id, key);
    if (this.docToKeys !== undefined) fileUnder(this.docToKeys, docKey, key);
  }

  /** Removes `key`'s row; returns whether there was one. */
  forget(key: number): boolean {
    const id = this.ids[key];
    if (id === undefined) return false;
    const docKey = this.docs[key]!;
    this.ids[key] = undefined;
    this.docs[key] = undefined;
    this.own[key] = undefined;
    this.shared[key] = undefined;
    this._size--;
    this.idToKey?.delete(id);
    const keys = this.docToKeys?.get(docKey);
    keys?.delete(key);
    if (keys?.size === 0) this.docToKeys!.delete(docKey);
    return true;
  }

  /**
   * Fills an empty table with decoded rows. Returns what is wrong when the rows cannot be (a key out of range or
   * used twice). Ids are checked for duplicates when the id index is first built: {@link keyOf} then throws a
   * `StorageError` if one is listed twice.
   */
  load(rows: DecodedRows): string | undefined {
    const shared = rows.texts.map((text) => new SharedMetadata(text));
    const ids = this.ids;
    for (let i = 0; i < rows.count; i++) {
      const key = rows.keys[i]!;
      if (!(Number.isInteger(key) && key >= 0 && key < MAX_KEY)) return `row ${i} has the key ${key}`;
      if (ids[key] !== undefined) return `the key ${key} is used twice`;
      ids[key] = rows.ids[i]!;
      this.docs[key] = rows.documents[rows.docIndex[i]!]!;
      const m = rows.metaIndex[i]!;
      if (m !== 0) this.shared[key] = shared[m - 1];
    }
    this._size = rows.count;
    return undefined;
  }

  /** Every row as columns (metadata as JSON text, `""` for empty), for a persist. */
  columns(): RowColumns {
    const n = this._size;
    const keys = new Float64Array(n);
    const ids = new Array<string>(n);
    const docIds = new Array<string>(n);
    const metadata = new Array<string>(n);
    let i = 0;
    for (const key of this.keys()) {
      keys[i] = key;
      ids[i] = this.ids[key]!;
      docIds[i] = this.docs[key]!;
      const own = this.own[key];
      metadata[i++] =
        own === undefined ? (this.shared[key]?.json ?? "") : isEmpty(own) ? "" : JSON.stringify(own);
    }
    return { keys, ids, docIds, metadata };
  }

  private idIndex(): Map<string, number> {
    if (this.idToKey === undefined) {
      const index = new Map<string, number>();
      for (const key of this.keys()) {
        const id = this.ids[key]!;
        if (index.has(id)) {
          throw new StorageError(
            `the ANN store lists the id "${id}" twice (its rows file is corrupt). Rebuild it and persist again.`,
          );
        }
        index.set(id, key);
      }
      this.idToKey = index;
    }
    return this.idToKey;
  }

  private docIndex(): Map<string, Set<number>> {
    if (this.docToKeys === undefined) {
      const index = new Map<string, Set<number>>();
      for (const key of this.keys()) fileUnder(index, this.docs[key]!, key);
      this.docToKeys = index;
    }
    return this.docToKeys;
  }
}

function fileUnder(index: Map<string, Set<number>>, docKey: string, key: number): void {
  const keys = index.get(docKey);
  if (keys === undefined) index.set(docKey, new Set([key]));
  else keys.add(key);
}

function isEmpty(o: Record<string, unknown>): boolean {
  return Object.keys(o).length === 0;
}
