import { createHash } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { StorageError } from "../errors/index.js";
import { VectorStoreIndex } from "../indices/vector-store-index.js";
import { openRegularFile } from "../ingestion/readers/regular-file.js";
import { SimpleDirectoryReader } from "../ingestion/readers/simple-directory-reader.js";
import { SentenceSplitter } from "../ingestion/splitters/sentence-splitter.js";
import { BM25Retriever } from "../retrievers/bm25-retriever.js";
import { QueryFusionRetriever } from "../retrievers/fusion-retriever.js";
import { PgKeywordRetriever } from "../retrievers/pg-keyword-retriever.js";
import type { BaseRetriever } from "../retrievers/types.js";
import type { TextNode } from "../schema/node.js";
import type { StorageContext } from "../storage/storage-context.js";
import type { VectorStoreAddProgress } from "../storage/vector-store/types.js";
import { throwIfAborted } from "../utils/abort.js";
import { type EmbeddingChoice, type RetrievalMode, UsageError } from "./models.js";
import { openBackend, type StoreBackend } from "./store-backends.js";
import { type StoreChoice, type StoreKind, type StoreRecord, sameStore, storeFlags } from "./stores.js";

const MANIFEST = "streamdex-cli.json";
const FORMAT = 1;
const STORE_KINDS: unknown[] = ["simple", "pglite", "postgres", "ann"];

interface FileRecord {
  size: number;
  mtimeMs: number;
  sha256: string;
}

interface Manifest {
  format: number;
  embedding: string;
  chunkSize: number;
  chunkOverlap: number;
  /** Where the vectors are (absent in manifests written before `--store`: the default store). */
  store?: StoreRecord;
  /** Directories and files ingested, refreshed by later commands. */
  roots: string[];
  /** `ingest --exclude` globs, applied to every later sync (absent: none). */
  exclude?: string[];
  files: Record<string, FileRecord>;
  /** A load into a Postgres store began and has not ended (its HNSW index may be missing): the next sync ends it. */
  loadPending?: boolean;
}

/** Progress of a {@link Workspace.sync}, for a progress bar. */
export interface SyncProgress {
  onScan?(files: number): void;
  onRead?(done: number, total: number): void;
  onChunks?(chunks: number): void;
  onEmbed?(done: number, total: number): void;
  /** Rows written to the store so far of `total` (`load`), then its index build and `ANALYZE` (Postgres stores). */
  onStore?(progress: VectorStoreAddProgress): void;
}

/** What a {@link Workspace.sync} did. */
export interface SyncSummary {
  files: number;
  added: number;
  changed: number;
  removed: number;
  unchanged: number;
  /** Files that could not be read (each reported as a warning). */
  skipped: number;
  chunks: number;
}

/** Options of {@link Workspace.open}. */
export interface WorkspaceOptions {
  chunkSize: number;
  chunkOverlap: number;
  /** How {@link Workspace.retriever} retrieves (default: `vector` with an embedding model, else `keyword`). */
  retrieval?: RetrievalMode;
  /** Reader warnings (skipped files), one line each. */
  onWarning(message: string): void;
  /** The Postgres stores' fixed `hnsw.ef_search` (`--ef-search`); default: from the query's top-k. */
  efSearch?: number;
  /** Whether a Postgres store may create its table (default true; false for commands that only read). */
  createTable?: boolean;
  /** Chunks embedded and written per batch (default 2000); a Postgres store commits each batch on its own. */
  batchSize?: number;
}

/** Chunks per ingest batch: each is embedded, then written (and, in a Postgres store, committed) in one go. */
const INGEST_BATCH = 2000;

/**
 * The command line's persisted index: a storage directory plus a manifest of the files it was built from
 * (size, mtime, SHA-256), so that ingesting again only re-reads changed files, deletes removed ones and never
 * re-embeds unchanged ones. The vectors live in the store `--store` chose (files in the directory by default,
 * PGlite, a Postgres server or a usearch index); the manifest records which, and the same sync runs on each.
 */
export class Workspace {
  private chunks = 0;

  private constructor(
    readonly dir: string,
    private readonly backend: StoreBackend,
    private readonly manifest: Manifest,
    readonly embedding: EmbeddingChoice,
    private readonly options: WorkspaceOptions,
  ) {}

  /**
   * Opens (or starts) the index in `dir`; refuses one built with another embedding model, in another store, or
   * in another format. Call {@link close} when done.
   */
  static async open(
    dir: string,
    embedding: EmbeddingChoice,
    store: StoreChoice,
    options: WorkspaceOptions,
  ): Promise<Workspace> {
    const manifest = await readManifest(dir);
    if (manifest && manifest.embedding !== embedding.spec) {
      throw new UsageError(
        `the index in ${dir} was built with "${manifest.embedding}", not "${embedding.spec}". Pass --embed ` +
          `${manifest.embedding} to use it, or --rebuild to index again with the new model.`,
      );
    }
    const recorded = manifest ? (manifest.store ?? { kind: "simple" }) : undefined;
    if (recorded && !sameStore(recorded, store.record)) {
      throw new UsageError(
        `the index in ${dir} is stored with ${storeFlags(recorded)}, not ${storeFlags(store.record)}. Pass ` +
          `${storeFlags(recorded)} to use it, or --rebuild to index again into the new store.`,
      );
    }
    const current: Manifest = manifest ?? {
      format: FORMAT,
      embedding: embedding.spec,
      chunkSize: options.chunkSize,
      chunkOverlap: options.chunkOverlap,
      roots: [],
      files: {},
    };
    current.store = { ...store.record, dimensions: recorded?.dimensions };
    let workspace: Workspace | undefined;
    const backend = await openBackend(store, dir, {
      existing: manifest !== undefined,
      keywordOnly: embedding.kind === "bm25",
      dimensions: current.store.dimensions,
      efSearch: options.efSearch,
      createTable: options.createTable,
      onDimensions: async (dimensions) => {
        current.store = { ...current.store!, dimensions };
        await workspace!.writeManifest();
      },
    });
    workspace = new Workspace(dir, backend, current, embedding, options);
    try {
      workspace.chunks = await backend.count();
    } catch (error) {
      await backend.close().catch(() => undefined);
      throw error;
    }
    return workspace;
  }

  private get storage(): StorageContext {
    return this.backend.storage;
  }

  /** Whether anything has been indexed. */
  get isEmpty(): boolean {
    return this.chunks === 0;
  }

  /** Where the vectors are (`--store`). */
  get storeKind(): StoreKind {
    return this.manifest.store?.kind ?? "simple";
  }

  /** Files recorded in the index. */
  get fileCount(): number {
    return Object.keys(this.manifest.files).length;
  }

  /** Chunks in the index. */
  get chunkCount(): number {
    return this.chunks;
  }

  /** Closes the store's database, if it has one (always call it: an open pool keeps the process alive). */
  async close(): Promise<void> {
    await this.backend.close();
  }

  /** The `--exclude` globs every sync applies (recorded with the index). */
  get exclude(): string[] {
    return [...(this.manifest.exclude ?? [])];
  }

  /** The directories and files ingested so far (what a refresh re-scans). */
  get roots(): string[] {
    return [...this.manifest.roots];
  }

  /**
   * Brings the index up to date with `roots` (files or directories): new and changed files are read, split and
   * embedded; removed ones are deleted; unchanged ones are not touched. Persists when anything changed.
   */
  async sync(
    roots: string[],
    progress: SyncProgress = {},
    options: {
      missingRoots?: "error" | "remove";
      signal?: AbortSignal;
      /** Replaces the recorded `--exclude` globs (files they now exclude leave the index). */
      exclude?: string[];
    } = {},
  ): Promise<SyncSummary> {
    let skipped = 0;
    const exclude = options.exclude ?? this.manifest.exclude ?? [];
    const reader = new SimpleDirectoryReader({
      exclude,
      onWarning: (message) => {
        skipped++;
        this.options.onWarning(message);
      },
    });
    const found = new Map<string, { size: number; mtimeMs: number }>();
    const resolvedRoots = roots.map((r) => path.resolve(r));
    const missing = new Set<string>();
    for (const root of resolvedRoots) {
      if (options.missingRoots === "remove" && !(await exists(root))) {
        this.options.onWarning(`${root} no longer exists: its files are removed from the index.`);
        missing.add(root);
        continue;
      }
      for (const file of await reader.listFiles(root)) {
        const s = await stat(file);
        found.set(file, { size: s.size, mtimeMs: s.mtimeMs });
      }
    }
    progress.onScan?.(found.size);
    throwIfAborted(options.signal);

    const toRead: string[] = [];
    const hashes = new Map<string, string>();
    let unchanged = 0;
    let changed = 0;
    let manifestDirty = false;
    for (const [file, s] of found) {
      const prev = this.manifest.files[file];
      if (prev && prev.size === s.size && prev.mtimeMs === s.mtimeMs) {
        unchanged++;
        continue;
      }
      const sha256 = await hashFile(file);
      if (sha256 === undefined) {
        toRead.push(file); // a FIFO, socket or device: the reader skips it with a warning
        continue;
      }
      if (prev && prev.sha256 === sha256) {
        prev.mtimeMs = s.mtimeMs;
        manifestDirty = true;
        unchanged++;
        continue;
      }
      if (prev) changed++;
      hashes.set(file, sha256);
      toRead.push(file);
    }
    const removed = Object.keys(this.manifest.files).filter(
      (file) =>
        !found.has(file) && resolvedRoots.some((root) => file === root || file.startsWith(root + path.sep)),
    );

    const load = this.embedding.kind === "embedding" ? this.backend.load : undefined;
    if (load && toRead.some((file) => this.manifest.files[file] !== undefined)) {
      // The store commits batch by batch: the manifest first forgets the files about to be replaced, so a run that
      // stops half-way leaves them unrecorded, and the next one deletes their rows and reads them again.
      for (const file of toRead) delete this.manifest.files[file];
      await this.writeManifest();
    }
    for (const file of [...removed, ...toRead]) await this.deleteFile(file);
    for (const file of removed) delete this.manifest.files[file];

    const documents = toRead.length > 0 ? await reader.loadData({ inputFiles: toRead }) : [];
    throwIfAborted(options.signal);
    progress.onRead?.(toRead.length, toRead.length);
    const splitter = new SentenceSplitter({
      chunkSize: this.manifest.chunkSize,
      chunkOverlap: this.manifest.chunkOverlap,
    });
    const nodes = splitter.getNodesFromDocuments(documents);
    progress.onChunks?.(nodes.length);
    const record = (doc: { id: string }) => {
      const s = found.get(doc.id);
      const sha256 = hashes.get(doc.id);
      if (s && sha256) this.manifest.files[doc.id] = { ...s, sha256 };
    };
    if (this.embedding.kind === "embedding") {
      await this.insertInBatches(nodes, documents, progress, options.signal, load ? record : undefined);
    } else if (this.backend.textStore !== undefined) {
      await this.backend.textStore.add(nodes);
    } else {
      this.storage.docStore.addDocuments(nodes);
    }
    for (const doc of documents) record(doc);
    const kept = resolvedRoots.filter((r) => !missing.has(r));
    const nextRoots = [
      ...new Set([...this.manifest.roots.filter((r) => !resolvedRoots.includes(r)), ...kept]),
    ];
    if (nextRoots.join("\n") !== this.manifest.roots.join("\n")) manifestDirty = true;
    this.manifest.roots = nextRoots;
    if (exclude.join("\n") !== (this.manifest.exclude ?? []).join("\n")) {
      manifestDirty = true;
      if (exclude.length > 0) this.manifest.exclude = [...exclude];
      else delete this.manifest.exclude;
    }
    if (removed.length > 0 || toRead.length > 0) await this.persist();
    else if (manifestDirty) await this.writeManifest();
    this.chunks = await this.backend.count();
    return {
      files: found.size,
      added: documents.length - changed,
      changed,
      removed: removed.length,
      unchanged,
      skipped,
      chunks: nodes.length,
    };
  }

  /**
   * Embeds and stores `nodes` batch by batch. With a Postgres store (`recordDone`), each batch commits on its own
   * and the manifest then records the files whose chunks are all written: a run that stops after batch k keeps
   * what it wrote, and the next run reads only the files not recorded (deleting their partial rows first).
   */
  private async insertInBatches(
    nodes: TextNode[],
    documents: { id: string }[],
    progress: SyncProgress,
    signal: AbortSignal | undefined,
    recordDone: ((doc: { id: string }) => void) | undefined,
  ): Promise<void> {
    if (this.embedding.kind !== "embedding") return;
    const load = this.backend.load;
    const total = nodes.length;
    if (total === 0 && !(load && this.manifest.loadPending)) return;
    if (load && !this.manifest.loadPending) {
      this.manifest.loadPending = true;
      await this.writeManifest();
    }
    const index = new VectorStoreIndex({ storageContext: this.storage, embedModel: this.embedding.model });
    const size = this.options.batchSize ?? INGEST_BATCH;
    const lastBatch = new Map<string, number>();
    nodes.forEach((node, i) => {
      lastBatch.set(node.refDocId ?? node.id, Math.floor(i / size));
    });
    const onStore = (p: VectorStoreAddProgress) =>
      progress.onStore?.({ ...p, total: Math.max(p.total, total) });
    if (total > 0) load?.begin();
    for (let b = 0; b * size < total; b++) {
      const offset = b * size;
      const batch = nodes.slice(offset, offset + size);
      load?.setAddOptions({ signal, onProgress: (p) => onStore({ ...p, done: offset + p.done, total }) });
      await index.insertNodes(batch, {
        signal,
        onProgress: (done) => progress.onEmbed?.(offset + done, total),
      });
      onStore({ phase: "load", done: offset + batch.length, total });
      if (recordDone) {
        for (const doc of documents) if (lastBatch.get(doc.id) === b) recordDone(doc);
        await this.writeManifest();
      }
    }
    if (load) {
      await load.end({ signal, onProgress: onStore });
      delete this.manifest.loadPending;
      await this.writeManifest();
    }
  }

  /**
   * A retriever over the index, as `--retrieval` chose: `keyword` (Postgres full-text search in the table on the
   * Postgres stores, BM25 over the chunks otherwise), `vector` (embeddings), or `hybrid`: both, each asked for
   * max(2 × topK, 10) candidates, fused by reciprocal rank into the top `topK`.
   */
  retriever(topK: number): BaseRetriever {
    const embedding = this.embedding;
    const mode = this.options.retrieval ?? (embedding.kind === "bm25" ? "keyword" : "vector");
    const keyword = (k: number): BaseRetriever =>
      this.backend.keywordSearch !== undefined
        ? new PgKeywordRetriever(this.backend.keywordSearch, { similarityTopK: k })
        : new BM25Retriever(this.storage.docStore.docs, { similarityTopK: k });
    if (mode === "keyword" || embedding.kind === "bm25") return keyword(topK);
    const index = new VectorStoreIndex({ storageContext: this.storage, embedModel: embedding.model });
    if (mode === "vector") return index.asRetriever({ similarityTopK: topK });
    const candidates = Math.max(2 * topK, 10);
    return new QueryFusionRetriever({
      retrievers: [index.asRetriever({ similarityTopK: candidates }), keyword(candidates)],
      similarityTopK: topK,
    });
  }

  private async deleteFile(file: string): Promise<void> {
    if (this.embedding.kind === "embedding") await this.storage.vectorStore.delete(file);
    else await this.backend.textStore?.delete(file);
    this.storage.docStore.deleteRefDoc(file);
  }

  /** Index first, manifest last (both atomic): a crash in between only means re-reading some files. */
  private async persist(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.backend.persist(this.dir);
    await this.writeManifest();
  }

  private async writeManifest(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const target = path.join(this.dir, MANIFEST);
    const temp = `${target}.tmp-${process.pid}`;
    await writeFile(temp, `${JSON.stringify(this.manifest, null, 1)}\n`);
    await rename(temp, target);
  }
}

async function readManifest(dir: string): Promise<Manifest | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, MANIFEST), "utf8");
  } catch {
    return undefined;
  }
  let manifest: Partial<Manifest>;
  try {
    manifest = JSON.parse(text) as Partial<Manifest>;
  } catch {
    throw new StorageError(`${path.join(dir, MANIFEST)} is not valid JSON: delete ${dir} and ingest again.`);
  }
  if (
    manifest.format !== FORMAT ||
    typeof manifest.files !== "object" ||
    typeof manifest.embedding !== "string" ||
    !Array.isArray(manifest.roots) ||
    (manifest.exclude !== undefined &&
      !(Array.isArray(manifest.exclude) && manifest.exclude.every((glob) => typeof glob === "string"))) ||
    (manifest.store !== undefined && !STORE_KINDS.includes(manifest.store?.kind))
  ) {
    throw new StorageError(
      `the index in ${dir} was written by an incompatible streamdex (format ${String(manifest.format)}, this ` +
        `version reads ${FORMAT}). Delete ${dir} or run ingest with --rebuild.`,
    );
  }
  return manifest as Manifest;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/**
 * SHA-256 of a file, streamed (a large file is never held in memory whole); undefined when it is not a regular
 * file (opening a FIFO would wait for a writer).
 */
async function hashFile(file: string): Promise<string | undefined> {
  const { handle } = await openRegularFile(file);
  if (!handle) return undefined;
  const hash = createHash("sha256");
  for await (const chunk of handle.createReadStream()) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
