import { InvalidArgumentError, StorageError } from "../errors/index.js";
import { requireNonEmptyString } from "../utils/validate.js";
import { SimpleDocumentStore } from "./docstore/simple-document-store.js";
import {
  corruptIndex,
  type IndexFile,
  type IndexManifest,
  readIndexFile,
  readIndexManifest,
  writeIndexFiles,
} from "./index-files.js";
import type { PersistFileSystem } from "./persist-fs.js";

export { nodeFileSystem, type PersistFileSystem } from "./persist-fs.js";

import { SimpleVectorStore, type SimpleVectorStoreOptions } from "./vector-store/simple-vector-store.js";
import type { VectorStore } from "./vector-store/types.js";

/**
 * File names of a persisted index. `vectors.f32` holds the unit-normalised rows (`count × dims` little-endian
 * float32); `vector_store.json` holds ids, refDocIds, dims, count, each vector's original norm (row × norm
 * recovers the vector as added, up to float32 rounding) and, since format version 2, each node's metadata; `index_store.json` is the manifest, written last.
 */
export const PERSIST_FILES = {
  manifest: "index_store.json",
  docStore: "docstore.json",
  vectorStore: "vector_store.json",
  vectors: "vectors.f32",
} as const;

/** Options of {@link storageContextFromDefaults}. */
export interface StorageContextOptions {
  /** Where the index is persisted: loaded from when it holds one, and `persist()`'s default target. */
  persistDir?: string;
  /** Use this vector store instead of a {@link SimpleVectorStore} (only a `SimpleVectorStore` is persisted). */
  vectorStore?: VectorStore;
  /** Options of the default {@link SimpleVectorStore}. */
  vectorStoreOptions?: SimpleVectorStoreOptions;
}

/** Options of {@link StorageContext.persist}. */
export interface PersistOptions {
  /** The file operations to use (for fault-injection tests); the real file system by default. */
  fs?: PersistFileSystem;
}

/**
 * The stores behind an index: a vector store for similarity search and a document store for the nodes' text.
 * Create one with {@link storageContextFromDefaults}.
 *
 * @example
 * ```ts
 * const storageContext = await storageContextFromDefaults({ persistDir: "./storage" });
 * // ... build an index with it, then:
 * await storageContext.persist(); // to ./storage, atomically
 * ```
 */
export class StorageContext {
  readonly vectorStore: VectorStore;
  readonly docStore: SimpleDocumentStore;
  /** The default directory of {@link StorageContext.persist}. */
  readonly persistDir: string | undefined;

  constructor(init: { vectorStore?: VectorStore; docStore?: SimpleDocumentStore; persistDir?: string } = {}) {
    this.vectorStore = init.vectorStore ?? new SimpleVectorStore();
    this.docStore = init.docStore ?? new SimpleDocumentStore();
    this.persistDir = init.persistDir;
  }

  /**
   * Writes the docstore and (when it is a {@link SimpleVectorStore}) the vector store to `dir`, atomically: an
   * error or a crash midway leaves the previous index there loadable. Throws {@link StorageError} on failure,
   * or when the stores change while the files are being written.
   */
  async persist(dir: string | undefined = this.persistDir, options: PersistOptions = {}): Promise<void> {
    if (dir === undefined) {
      throw new InvalidArgumentError(
        "dir",
        "pass the directory to persist to (or create the context with persistDir).",
      );
    }
    requireNonEmptyString("dir", dir, "Pass the directory to persist to.");
    const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    const files: IndexFile[] = [{ name: PERSIST_FILES.docStore, data: encode(this.docStore.toJSON()) }];
    let assertUnchanged: (() => void) | undefined;
    const vectorStore = this.vectorStore;
    if (vectorStore instanceof SimpleVectorStore) {
      const { header, rows } = vectorStore.toBinary();
      const revision = vectorStore.revision;
      files.push(
        { name: PERSIST_FILES.vectorStore, data: encode(header) },
        { name: PERSIST_FILES.vectors, data: rows },
      );
      assertUnchanged = () => {
        if (vectorStore.revision !== revision) {
          throw new StorageError(
            "the vector store changed while it was being persisted; nothing was saved: persist again.",
          );
        }
      };
    }
    await writeIndexFiles(dir, files, { fs: options.fs, assertUnchanged });
  }
}

/**
 * A storage context: the index persisted in `persistDir` when there is one, else empty stores.
 * Throws {@link StorageError} when `persistDir` holds an index that is corrupt or unreadable.
 *
 * @example
 * ```ts
 * const storageContext = await storageContextFromDefaults({ persistDir: "./storage" });
 * ```
 */
export async function storageContextFromDefaults(
  options: StorageContextOptions = {},
): Promise<StorageContext> {
  const { persistDir } = options;
  if (persistDir !== undefined) {
    requireNonEmptyString("persistDir", persistDir, "Pass the directory the index is persisted in.");
    const manifest = await readIndexManifest(persistDir);
    if (manifest !== undefined) return load(persistDir, manifest, options);
  }
  const vectorStore = options.vectorStore ?? new SimpleVectorStore(options.vectorStoreOptions);
  return new StorageContext({ vectorStore, persistDir });
}

/**
 * Loads the index persisted in `persistDir`. Throws {@link StorageError} when there is none ("run persist first")
 * or when it is corrupt.
 *
 * @example
 * ```ts
 * const storageContext = await loadStorageContext("./storage");
 * ```
 */
export async function loadStorageContext(
  persistDir: string,
  options: Omit<StorageContextOptions, "persistDir"> = {},
): Promise<StorageContext> {
  requireNonEmptyString("persistDir", persistDir, "Pass the directory the index is persisted in.");
  const manifest = await readIndexManifest(persistDir);
  if (manifest === undefined) {
    throw new StorageError(`no index at ${persistDir}: run storageContext.persist("${persistDir}") first.`);
  }
  return load(persistDir, manifest, options);
}

async function load(
  dir: string,
  manifest: IndexManifest,
  options: StorageContextOptions,
): Promise<StorageContext> {
  const docStoreJson = await readJson(dir, manifest, PERSIST_FILES.docStore);
  const docStore = asCorrupt(dir, () => SimpleDocumentStore.fromJSON(docStoreJson));
  let vectorStore = options.vectorStore;
  if (vectorStore === undefined && manifest.files[PERSIST_FILES.vectorStore] !== undefined) {
    const header = await readJson(dir, manifest, PERSIST_FILES.vectorStore);
    let readError: unknown;
    const fill = async (target: Uint8Array) => {
      try {
        await readIndexFile(dir, manifest, PERSIST_FILES.vectors, target);
      } catch (error) {
        readError = error;
        throw error;
      }
    };
    try {
      // Version 1 vector stores kept no metadata: take it from the docstore so filters keep working.
      vectorStore = await SimpleVectorStore.fromBinary(header, fill, {
        ...options.vectorStoreOptions,
        metadataOf: (id) => docStore.getNode(id)?.metadata,
      });
    } catch (error) {
      if (error !== readError && error instanceof StorageError) throw corruptIndex(dir, error.message, error);
      throw error;
    }
  }
  return new StorageContext({
    vectorStore: vectorStore ?? new SimpleVectorStore(options.vectorStoreOptions),
    docStore,
    persistDir: dir,
  });
}

/** Runs `build`, reporting a {@link StorageError} it throws as a corrupt index. */
function asCorrupt<T>(dir: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof StorageError) throw corruptIndex(dir, error.message, error);
    throw error;
  }
}

async function readJson(dir: string, manifest: IndexManifest, name: string): Promise<unknown> {
  const bytes = await readIndexFile(dir, manifest, name);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw corruptIndex(dir, `${name} is not valid JSON`, error);
  }
}
