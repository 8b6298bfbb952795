import { stat } from "node:fs/promises";
import path from "node:path";
import type { NodeWithScore, TextNode } from "../schema/node.js";
import { StorageContext, storageContextFromDefaults } from "../storage/storage-context.js";
import type { PgVectorStore } from "../storage/vector-store/pgvector/index.js";
import { HNSW_MAX_DIMENSIONS } from "../storage/vector-store/pgvector/options.js";
import type { PgKeywordQuery, PgKeywordSearchable } from "../storage/vector-store/pgvector/text-search.js";
import type {
  VectorStore,
  VectorStoreAddOptions,
  VectorStoreQuery,
  VectorStoreQueryResult,
} from "../storage/vector-store/types.js";
import { optionalPeer } from "../utils/optional-peer.js";
import { lockPglite } from "./lock.js";
import type { StoreChoice } from "./stores.js";

/** Where `--store pglite` keeps its database, and `--store ann` its index, inside the index directory. */
export const STORE_DIRS = { pglite: "pg", ann: "ann" } as const;

/** The stores behind a workspace, whatever `--store` chose. */
export interface StoreBackend {
  /**
   * The vector store, and a docstore: persisted next to the manifest for `simple` and `ann`; an empty, never saved
   * one for the Postgres stores, which keep the chunks' text in their table (`storesText`: the index adds no copy).
   */
  readonly storage: StorageContext;
  /** Chunks in the index. */
  count(): Promise<number>;
  /** The Postgres stores' full-text search in the table (keyword retrieval); absent: BM25 over the docstore. */
  readonly keywordSearch?: PgKeywordSearchable;
  /**
   * A Postgres index without embeddings (`--store pglite|postgres://` and no embedding model): where the chunks
   * are written and deleted, in a table without an embedding column (`PgKeywordStore`).
   */
  readonly textStore?: { add(nodes: TextNode[]): Promise<string[]>; delete(refDocId: string): Promise<void> };
  /** Saves what lives in files, after a sync changed something (Postgres stores wrote as they went). */
  persist(dir: string): Promise<void>;
  /** Closes the database (the pool of `postgres://`, the PGlite of `pglite`). */
  close(): Promise<void>;
  /** Postgres stores: every `add` commits on its own, and a sync loads through a {@link StoreLoad}. */
  readonly load?: StoreLoad;
}

/**
 * A sync's load into a Postgres store, whose adds each commit on their own (so the manifest may record files batch
 * by batch): `begin` before the first add (into an empty table the HNSW index is then built once, by `end`),
 * `end` after the last (also after an earlier load that stopped half-way: it builds a missing index).
 */
export interface StoreLoad {
  begin(): void;
  /** The options (progress, abort) of the adds from now on. */
  setAddOptions(options: VectorStoreAddOptions): void;
  end(options: VectorStoreAddOptions): Promise<void>;
}

/** Options of {@link openBackend}. */
export interface BackendOptions {
  /** Whether the index directory holds an index (its manifest exists). */
  existing: boolean;
  /** The dimensions of a Postgres store's table, when the manifest recorded them. */
  dimensions: number | undefined;
  /** Called when the first vectors fix a Postgres table's dimensions, before any row is written. */
  onDimensions(dimensions: number): Promise<void>;
  /** A Postgres store's fixed `hnsw.ef_search` (`--ef-search`). */
  efSearch?: number;
  /** Whether a Postgres store may create its table (default true): false for ask, chat and serve. */
  createTable?: boolean;
  /** No embedding model: a Postgres store keeps the chunks in a keyword table (no vectors, no pgvector needed). */
  keywordOnly?: boolean;
}

const usearchPeer = optionalPeer("usearch", "streamdex --store ann", () => import("usearch"));
const pglitePeer = optionalPeer(
  "@electric-sql/pglite",
  "streamdex --store pglite",
  () => import("@electric-sql/pglite"),
);
const pgvectorPeer = optionalPeer(
  "@electric-sql/pglite-pgvector",
  "streamdex --store pglite",
  () => import("@electric-sql/pglite-pgvector"),
);

/**
 * Opens the store of `choice` for the index in `dir`. Optional packages are imported only here, for the store that
 * needs them, and checked before any embedding work (a missing one is a one-line `MissingDependencyError`).
 */
export async function openBackend(
  choice: StoreChoice,
  dir: string,
  options: BackendOptions,
): Promise<StoreBackend> {
  switch (choice.kind) {
    case "simple": {
      const storage = await storageContextFromDefaults({ persistDir: options.existing ? dir : undefined });
      return {
        storage,
        count: async () => storage.docStore.size,
        persist: (target) => storage.persist(target),
        close: async () => {},
      };
    }
    case "ann":
      return annBackend(dir, options.existing);
    default:
      return pgBackend(choice, dir, options);
  }
}

async function annBackend(dir: string, existing: boolean): Promise<StoreBackend> {
  await usearchPeer.load();
  const { AnnVectorStore } = await import("../storage/vector-store/ann/index.js");
  const annDir = path.join(dir, STORE_DIRS.ann);
  const persisted =
    existing &&
    (await stat(annDir).then(
      () => true,
      () => false,
    ));
  const ann = persisted ? await AnnVectorStore.load(annDir) : new AnnVectorStore();
  const storage = await storageContextFromDefaults({
    persistDir: existing ? dir : undefined,
    vectorStore: ann,
  });
  return {
    storage,
    count: async () => storage.docStore.size,
    // Vectors first, text second, manifest last: a crash in between only means re-reading some files.
    persist: async (target) => {
      await ann.persist(path.join(target, STORE_DIRS.ann));
      await storage.persist(target);
    },
    close: async () => {},
  };
}

async function pgBackend(choice: StoreChoice, dir: string, options: BackendOptions): Promise<StoreBackend> {
  let release = async () => {};
  if (choice.kind === "pglite") {
    await Promise.all([pglitePeer.load(), options.keywordOnly ? undefined : pgvectorPeer.load()]);
    release = await lockPglite(dir);
  }
  try {
    if (options.keywordOnly) return await openKeywordPg(choice, dir, options, release);
    return await openPg(choice, dir, options, release);
  } catch (error) {
    await release();
    throw error;
  }
}

async function openPg(
  choice: StoreChoice,
  dir: string,
  options: BackendOptions,
  release: () => Promise<void>,
): Promise<StoreBackend> {
  const { PgVectorStore } = await import("../storage/vector-store/pgvector/index.js");
  const open = async (dimensions: number): Promise<PgVectorStore> => {
    // pgvector's HNSW index takes at most 2000 dimensions; larger vectors are searched exactly.
    const hnsw =
      dimensions > HNSW_MAX_DIMENSIONS
        ? (false as const)
        : options.efSearch === undefined
          ? undefined
          : { efSearch: options.efSearch };
    const common = {
      dimensions,
      hnsw,
      tableName: choice.table,
      schemaName: choice.schema,
      createTable: options.createTable,
    };
    if (choice.kind === "postgres") {
      return new PgVectorStore({ ...common, connectionString: choice.connectionString });
    }
    return PgVectorStore.embedded({ ...common, dataDir: path.join(dir, STORE_DIRS.pglite) });
  };
  const store = new DeferredPgStore(open, options.onDimensions);
  if (options.dimensions !== undefined) store.openNow(options.dimensions);
  else if (choice.kind === "postgres") {
    const { checkPostgresTable } = await import("./postgres-table.js");
    await checkPostgresTable(choice, dir);
  }
  return {
    storage: new StorageContext({ vectorStore: store }),
    count: () => store.count(),
    keywordSearch: store,
    load: store,
    persist: async () => {},
    close: closeThen(store, release),
  };
}

/** Closes the store, then releases the PGlite lock (also when the close fails). */
function closeThen(store: { close(): Promise<void> }, release: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await store.close();
    } finally {
      await release();
    }
  };
}

/** A Postgres index without embeddings: a `PgKeywordStore` table, searched by full-text search. */
async function openKeywordPg(
  choice: StoreChoice,
  dir: string,
  options: BackendOptions,
  release: () => Promise<void>,
): Promise<StoreBackend> {
  const { PgKeywordStore } = await import("../storage/vector-store/pgvector/index.js");
  const common = { tableName: choice.table, schemaName: choice.schema };
  if (choice.kind === "postgres" && !options.existing) {
    const { checkPostgresTable } = await import("./postgres-table.js");
    await checkPostgresTable(choice, dir, { keywordOnly: true });
  }
  const store =
    choice.kind === "postgres"
      ? new PgKeywordStore({ ...common, connectionString: choice.connectionString })
      : await PgKeywordStore.embedded({ ...common, dataDir: path.join(dir, STORE_DIRS.pglite) });
  return {
    storage: new StorageContext(),
    count: () => store.count(),
    keywordSearch: store,
    textStore: store,
    persist: async () => {},
    close: closeThen(store, release),
  };
}

/**
 * A `PgVectorStore` opened once its dimensions are known: from the manifest, or from the first vectors added
 * (`PgVectorStore` needs them to create its table, and embedding models do not all say theirs up front). Until
 * then it is empty: queries find nothing and deletes have nothing to delete.
 */
class DeferredPgStore implements VectorStore, PgKeywordSearchable, StoreLoad {
  readonly storesText = true;
  private store: Promise<PgVectorStore> | undefined;
  private loading = false;
  private begun = false;
  private addOptions: VectorStoreAddOptions = {};

  constructor(
    private readonly open: (dimensions: number) => Promise<PgVectorStore>,
    private readonly onDimensions: (dimensions: number) => Promise<void>,
  ) {}

  /** Opens the table of a known index. */
  openNow(dimensions: number): void {
    this.store = this.open(dimensions);
    this.store.catch(() => undefined); // reported by the first use
  }

  async add(nodes: TextNode[], options: VectorStoreAddOptions = {}): Promise<string[]> {
    if (nodes.length === 0) return [];
    if (this.store === undefined) {
      const dimensions = nodes[0]!.embedding?.length ?? 0;
      this.store = (async () => {
        const store = await this.open(dimensions);
        try {
          await this.onDimensions(dimensions);
        } catch (error) {
          await store.close();
          throw error;
        }
        return store;
      })();
      this.store.catch(() => undefined); // reported below
    }
    const store = await this.store;
    if (this.loading && !this.begun) {
      await store.beginBulkLoad();
      this.begun = true;
    }
    return store.add(nodes, { ...this.addOptions, ...options });
  }

  /** Starts a load: the first add drops an empty table's HNSW index, {@link end} builds it. */
  begin(): void {
    this.loading = true;
    this.begun = false;
  }

  setAddOptions(options: VectorStoreAddOptions): void {
    this.addOptions = options;
  }

  /** Ends the load: builds a missing HNSW index and analyses the table (nothing before the table exists). */
  async end(options: VectorStoreAddOptions): Promise<void> {
    this.loading = false;
    this.addOptions = {};
    if (this.store !== undefined) await (await this.store).endBulkLoad(options);
  }

  async delete(refDocId: string): Promise<void> {
    if (this.store !== undefined) await (await this.store).delete(refDocId);
  }

  async query(query: VectorStoreQuery): Promise<VectorStoreQueryResult> {
    if (this.store === undefined) return { nodes: [], ids: [], similarities: [] };
    return (await this.store).query(query);
  }

  /** Full-text search in the table (nothing before it is opened). */
  async keywordSearch(query: PgKeywordQuery): Promise<NodeWithScore[]> {
    if (this.store === undefined) return [];
    return (await this.store).keywordSearch(query);
  }

  /** Rows in the table (0 before it is opened). */
  async count(): Promise<number> {
    return this.store === undefined ? 0 : (await this.store).count();
  }

  async close(): Promise<void> {
    const store = await this.store?.catch(() => undefined);
    await store?.close();
  }
}
