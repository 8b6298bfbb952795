import type { BaseEmbedding, EmbedCallOptions } from "../embeddings/base-embedding.js";
import type { VectorsListener } from "../embeddings/embedding-feed.js";
import {
  type ChatEngineFactoryOptions,
  type ChatEngineOf,
  createChatEngine,
  type DEFAULT_CHAT_MODE,
} from "../engines/chat/create-chat-engine.js";
import type { ChatMode } from "../engines/chat/types.js";
import { type CitationOptions, CitationQueryEngine } from "../engines/citation-query-engine.js";
import { RetrieverQueryEngine } from "../engines/retriever-query-engine.js";
import { InvalidArgumentError } from "../errors/index.js";
import { splitInSteps } from "../ingestion/split-in-steps.js";
import { SentenceSplitter } from "../ingestion/splitters/sentence-splitter.js";
import type { NodeParser } from "../ingestion/types.js";
import type { NodePostprocessor } from "../postprocessors/types.js";
import {
  VectorIndexRetriever,
  type VectorIndexRetrieverOptions,
} from "../retrievers/vector-index-retriever.js";
import { type Document, MetadataMode, TextNode } from "../schema/node.js";
import { noEmbedModelError, Settings } from "../settings/settings.js";
import type { SimpleDocumentStore } from "../storage/docstore/simple-document-store.js";
import { type StorageContext, storageContextFromDefaults } from "../storage/storage-context.js";
import type { MetadataFilters, VectorStore } from "../storage/vector-store/types.js";
import { getResponseSynthesizer } from "../synthesizers/get-response-synthesizer.js";
import type { ResponseSynthesizer, ResponseSynthesizerOptions } from "../synthesizers/types.js";
import { throwIfAborted } from "../utils/abort.js";
import type { Tokenizer } from "../utils/tokenizer.js";
import { describe } from "../utils/validate.js";

/** Options of {@link VectorStoreIndex.fromDocuments} and {@link VectorStoreIndex.fromNodes}. */
export interface VectorStoreIndexOptions {
  /** Default: `Settings.embedModel`, read when the index is built (and kept for its queries). */
  embedModel?: BaseEmbedding;
  /** Where nodes and vectors go (default: new in-memory stores). */
  storageContext?: StorageContext;
  /** Splits documents (default: a `SentenceSplitter` with `chunkSize`/`chunkOverlap`). Not used by `fromNodes`. */
  nodeParser?: NodeParser;
  /** Chunk size in tokens for the default splitter (default `Settings.chunkSize`). */
  chunkSize?: number;
  /** Chunk overlap in tokens for the default splitter (default `Settings.chunkOverlap`). */
  chunkOverlap?: number;
  /** Progress of embedding: texts done out of total. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /**
   * Also keep nodes in the docstore when the vector store keeps their text itself (`storesText`, e.g.
   * `PgVectorStore`). Default `false`, as in LlamaIndex: the text lives once, in the vector store.
   */
  storeNodesOverride?: boolean;
}

/** Options of {@link VectorStoreIndex.asQueryEngine}: retrieval plus every synthesizer option. */
export interface VectorQueryEngineOptions<S extends boolean>
  extends ResponseSynthesizerOptions<S>,
    CitationOptions {
  /**
   * Cite the sources: a {@link CitationQueryEngine} (numbered sources, `[n]` markers mapped to them as the answer
   * streams; `citationChunkSize`, `citationChunkOverlap`, `citationParser` apply).
   */
  citations?: boolean;
  /** Nodes retrieved per query (default 2). */
  similarityTopK?: number;
  /** Use this synthesizer instead of building one from the options above. */
  responseSynthesizer?: ResponseSynthesizer<S>;
  nodePostprocessors?: NodePostprocessor[];
  /** Only answer from these source documents. */
  docIds?: string[];
  /** Only answer from nodes whose metadata matches. */
  filters?: MetadataFilters;
}

/** Options of {@link VectorStoreIndex.asChatEngine}: the chat mode, retrieval, and every chat engine option. */
export interface VectorChatEngineOptions<S extends boolean, M extends ChatMode>
  extends Omit<ChatEngineFactoryOptions<S, M>, "retriever"> {
  /** Nodes retrieved per message (default 2). */
  similarityTopK?: number;
  /** Only answer from these source documents. */
  docIds?: string[];
  /** Only answer from nodes whose metadata matches. */
  filters?: MetadataFilters;
}

/**
 * An index of embedded chunks: split documents, embed them, store them, retrieve by similarity. It reads
 * `Settings` once, when it is built: the embedding model (its queries are embedded with the model its vectors
 * were made with, whatever `Settings.embedModel` says later) and the default splitter's `chunkSize`,
 * `chunkOverlap` and tokenizer for {@link insert}. An index built with no embedding model anywhere (an empty one,
 * or one loaded before `Settings.embedModel` was set) takes `Settings.embedModel` the first time it needs one, and
 * keeps it.
 *
 * @example
 * ```ts
 * const index = await VectorStoreIndex.fromDocuments(documents);
 * const engine = index.asQueryEngine({ streaming: true, similarityTopK: 1 });
 * ```
 */
export class VectorStoreIndex {
  readonly storageContext: StorageContext;
  /** Fixed at construction (or at first need, when none was available then). */
  private boundEmbedModel: BaseEmbedding | undefined;
  private readonly storeNodesOverride: boolean;
  /** How {@link insert} splits by default: the one passed, else a splitter on {@link splitDefaults}. */
  private nodeParser: NodeParser | undefined;
  /** `Settings.chunkSize`/`chunkOverlap`/`tokenizer` at construction, for an `insert` that sets only some. */
  private readonly splitDefaults: {
    chunkSize: number;
    chunkOverlap: number;
    tokenizer: Tokenizer | undefined;
  };

  /** Wraps existing storage; use {@link VectorStoreIndex.fromDocuments} or {@link loadIndexFromStorage} to build one. */
  constructor(options: {
    storageContext: StorageContext;
    embedModel?: BaseEmbedding;
    storeNodesOverride?: boolean;
    /** How {@link VectorStoreIndex.insert} splits documents (default: a `SentenceSplitter` on `Settings` now). */
    nodeParser?: NodeParser;
  }) {
    this.storageContext = options.storageContext;
    this.storeNodesOverride = options.storeNodesOverride === true;
    // Settings are read once, here: changing them later does not change this index.
    this.boundEmbedModel = options.embedModel ?? (Settings.hasEmbedModel ? Settings.embedModel : undefined);
    const sized = options.nodeParser instanceof SentenceSplitter ? options.nodeParser : undefined;
    this.splitDefaults = {
      chunkSize: sized?.chunkSize ?? Settings.chunkSize,
      chunkOverlap: sized?.chunkOverlap ?? Settings.chunkOverlap,
      tokenizer: Settings.tokenizerOverride,
    };
    this.nodeParser = options.nodeParser;
  }

  /**
   * The embedding model: the one passed at build time, else `Settings.embedModel` as it was then (or, for an
   * index built with none available, as it was the first time one was needed).
   */
  get embedModel(): BaseEmbedding {
    if (this.boundEmbedModel === undefined) {
      if (!Settings.hasEmbedModel) throw noEmbedModelError();
      this.boundEmbedModel = Settings.embedModel;
    }
    return this.boundEmbedModel;
  }

  /** A `SentenceSplitter` with these sizes, the rest from the index's defaults. */
  private splitter(options: Pick<VectorStoreIndexOptions, "chunkSize" | "chunkOverlap">): SentenceSplitter {
    return new SentenceSplitter({
      chunkSize: options.chunkSize ?? this.splitDefaults.chunkSize,
      chunkOverlap: options.chunkOverlap ?? this.splitDefaults.chunkOverlap,
      tokenizer: this.splitDefaults.tokenizer,
    });
  }

  get vectorStore(): VectorStore {
    return this.storageContext.vectorStore;
  }

  get docStore(): SimpleDocumentStore {
    return this.storageContext.docStore;
  }

  /**
   * Splits, embeds and stores `documents`. An empty list gives an empty index (as in LlamaIndex): queries on it
   * answer with the empty-response text, making no LLM or embedding call, and {@link insert} fills it later.
   */
  static async fromDocuments(
    documents: Document[],
    options: VectorStoreIndexOptions = {},
  ): Promise<VectorStoreIndex> {
    validateDocuments(documents);
    // Settings are read before the first await: what they say when fromDocuments is called is what the index keeps.
    const parser =
      options.nodeParser ??
      new SentenceSplitter({
        chunkSize: options.chunkSize,
        chunkOverlap: options.chunkOverlap,
        tokenizer: Settings.tokenizerOverride,
      });
    const embedModel = options.embedModel ?? (Settings.hasEmbedModel ? Settings.embedModel : undefined);
    const storageContext = options.storageContext ?? (await storageContextFromDefaults());
    const index = new VectorStoreIndex({
      storageContext,
      embedModel,
      storeNodesOverride: options.storeNodesOverride,
      nodeParser: parser,
    });
    // A store made here is unreachable if this throws, so it may take vectors batch by batch as they arrive.
    await index.insertDocuments(documents, parser, options, options.storageContext === undefined);
    return index;
  }

  /**
   * Embeds and stores nodes that are already split (no splitter runs). Nodes with an embedding keep it. An empty
   * list gives an empty index, as with {@link fromDocuments}.
   */
  static async fromNodes(
    nodes: TextNode[],
    options: VectorStoreIndexOptions = {},
  ): Promise<VectorStoreIndex> {
    if (!Array.isArray(nodes))
      throw new InvalidArgumentError("nodes", `expected an array of TextNode, got ${describe(nodes)}.`);
    const embedModel = options.embedModel ?? (Settings.hasEmbedModel ? Settings.embedModel : undefined);
    const storageContext = options.storageContext ?? (await storageContextFromDefaults());
    const index = new VectorStoreIndex({
      storageContext,
      embedModel,
      storeNodesOverride: options.storeNodesOverride,
    });
    await index.insertNodes(nodes, options);
    return index;
  }

  /**
   * Splits, embeds and adds one document (replacing nothing: call {@link deleteRefDoc} first to update). It is split
   * as `fromDocuments` split the index's documents (same `nodeParser`, or `chunkSize`/`chunkOverlap`), unless
   * these options say otherwise.
   */
  async insert(
    document: Document,
    options: Pick<VectorStoreIndexOptions, "nodeParser" | "chunkSize" | "chunkOverlap" | "signal"> = {},
  ): Promise<void> {
    validateDocuments([document]);
    if (this.nodeParser === undefined) this.nodeParser = this.splitter({});
    const parser =
      options.nodeParser ??
      (options.chunkSize !== undefined || options.chunkOverlap !== undefined
        ? this.splitter(options)
        : this.nodeParser);
    await this.insertDocuments([document], parser, options);
  }

  /**
   * Splits `documents` and embeds their chunks as they come: the first embedding batches are on the wire while
   * later documents are still being split, a few documents at a time, yielding to the event loop in between.
   * Nothing is stored unless every chunk embeds. With `privateStore` (a store nobody else can see before this
   * returns) each batch of vectors is added as it arrives, in order, while later batches are still on the wire;
   * otherwise all are added at the end.
   */
  private async insertDocuments(
    documents: Document[],
    parser: NodeParser,
    options: EmbedCallOptions,
    privateStore = false,
  ): Promise<void> {
    // Nothing to embed: the embedding model is not needed yet (it may be set before the first insert).
    if (documents.length === 0) {
      throwIfAborted(options.signal);
      return;
    }
    const nodes: TextNode[] = [];
    const missing: TextNode[] = [];
    const early = privateStore ? new EarlyVectorAdds(this.vectorStore, missing) : undefined;
    const feed = this.embedModel.createFeed(options, early?.listener);
    for await (const part of splitInSteps(documents, parser, options)) {
      const texts: string[] = [];
      for (const node of part) {
        if (!(node instanceof TextNode)) {
          throw new InvalidArgumentError("nodes", `expected TextNode instances, got ${describe(node)}.`);
        }
        nodes.push(node);
        if (node.embedding === undefined) {
          missing.push(node);
          texts.push(node.getContent(MetadataMode.EMBED));
        }
      }
      feed.push(texts);
    }
    let vectors: Float32Array[];
    try {
      vectors = await feed.finish();
    } catch (error) {
      await early?.settled().catch(() => undefined);
      throw error;
    }
    if (early !== undefined) {
      await early.settled();
      // Only the nodes that came with their own vector are left for the vector store.
      await this.storeEmbedded(
        nodes.filter((node) => node.embedding !== undefined),
        options,
        nodes,
      );
      return;
    }
    missing.forEach((n, i) => {
      n.embedding = vectors[i];
    });
    await this.storeEmbedded(nodes, options);
  }

  /**
   * Embeds (when needed) and stores nodes. The vector store keeps the vectors; `node.embedding` is cleared. A node
   * whose id is already stored replaces the old one (vector, document, metadata and docstore entry: upsert).
   */
  async insertNodes(nodes: TextNode[], options: EmbedCallOptions = {}): Promise<void> {
    for (const node of nodes) {
      if (!(node instanceof TextNode)) {
        throw new InvalidArgumentError("nodes", `expected TextNode instances, got ${describe(node)}.`);
      }
    }
    const missing = nodes.filter((n) => n.embedding === undefined);
    if (missing.length > 0) {
      const vectors = await this.embedModel.getTextEmbeddings(
        missing.map((n) => n.getContent(MetadataMode.EMBED)),
        options,
      );
      missing.forEach((n, i) => {
        n.embedding = vectors[i];
      });
    }
    await this.storeEmbedded(nodes, options);
  }

  /** Stores embedded `nodes`' vectors, then `docNodes` (by default the same nodes) in the docstore. */
  private async storeEmbedded(
    nodes: TextNode[],
    options: EmbedCallOptions,
    docNodes: TextNode[] = nodes,
  ): Promise<void> {
    throwIfAborted(options.signal);
    // Vectors first: if the store refuses them (e.g. a dimension mismatch) the docstore gains no orphans.
    if (nodes.length > 0) await this.vectorStore.add(nodes);
    // The vector store keeps its own copy; dropping the node's halves the memory of a large index.
    for (const node of nodes) node.embedding = undefined;
    // A store that keeps text answers queries with whole nodes: a second copy would only cost memory.
    if (!this.vectorStore.storesText || this.storeNodesOverride) this.docStore.addDocuments(docNodes);
  }

  /** Removes every node of the source document `refDocId` from the vector store and the docstore. */
  async deleteRefDoc(refDocId: string): Promise<void> {
    await this.vectorStore.delete(refDocId);
    this.docStore.deleteRefDoc(refDocId);
  }

  /** A retriever over this index. */
  asRetriever(options: VectorIndexRetrieverOptions = {}): VectorIndexRetriever {
    return new VectorIndexRetriever(this, options);
  }

  /**
   * A query engine over this index. `streaming: true` makes `query()` resolve to a `StreamingResponse`
   * (and the engine's type says so); `citations: true` makes it a {@link CitationQueryEngine}.
   */
  asQueryEngine<S extends boolean = false>(
    options: VectorQueryEngineOptions<S> = {},
  ): RetrieverQueryEngine<S> {
    if (options.citations) {
      const { citations: _citations, ...rest } = options;
      return CitationQueryEngine.fromIndex<S>(this, rest);
    }
    const {
      similarityTopK,
      responseSynthesizer,
      nodePostprocessors,
      docIds,
      filters,
      citations: _citations,
      citationChunkSize: _size,
      citationChunkOverlap: _overlap,
      citationParser: _parser,
      ...synthOptions
    } = options;
    const retriever = this.asRetriever({ similarityTopK, docIds, filters });
    return new RetrieverQueryEngine<S>({
      retriever,
      responseSynthesizer: responseSynthesizer ?? getResponseSynthesizer<S>(synthOptions),
      nodePostprocessors,
    });
  }

  /**
   * A chat engine over this index: `chatMode` is `"simple"`, `"context"`, `"condense_question"` or
   * `"condense_plus_context"` (default). `streaming: true` makes `chat()` resolve to a `StreamingResponse` (and
   * the engine's type says so). An unknown mode throws `InvalidArgumentError` here.
   *
   * @example
   * ```ts
   * const chat = index.asChatEngine({ chatMode: "context", streaming: true, similarityTopK: 2 });
   * await (await chat.chat("What did the author do growing up?")).printResponseStream();
   * ```
   */
  asChatEngine<S extends boolean = false, M extends ChatMode = typeof DEFAULT_CHAT_MODE>(
    options: VectorChatEngineOptions<S, M> = {},
  ): ChatEngineOf<M, S> {
    const { similarityTopK, docIds, filters, ...rest } = options;
    return createChatEngine<S, M>({
      ...rest,
      retriever: this.asRetriever({ similarityTopK, docIds, filters }),
    });
  }

  /** Writes the index to `dir` (atomically). Load it back with {@link loadIndexFromStorage}. */
  async persist(dir: string): Promise<void> {
    await this.storageContext.persist(dir);
  }
}

/**
 * Loads an index persisted with `index.persist(dir)` / `storageContext.persist(dir)`.
 *
 * @example
 * ```ts
 * const index = await loadIndexFromStorage(await storageContextFromDefaults({ persistDir: "./storage" }));
 * ```
 */
export async function loadIndexFromStorage(
  storageContext: StorageContext,
  options: { embedModel?: BaseEmbedding } = {},
): Promise<VectorStoreIndex> {
  return new VectorStoreIndex({ storageContext, embedModel: options.embedModel });
}

function validateDocuments(documents: unknown): asserts documents is Document[] {
  if (!Array.isArray(documents)) {
    throw new InvalidArgumentError("documents", `expected an array of Document, got ${describe(documents)}.`);
  }
  documents.forEach((doc, i) => {
    if (!(doc instanceof TextNode)) {
      throw new InvalidArgumentError(
        "documents",
        `item ${i} is ${describe(doc)}, not a Document. Use new Document({ text }).`,
      );
    }
    if (doc.text.trim() === "") {
      throw new InvalidArgumentError(
        "documents",
        `document "${doc.id}" (item ${i}) has empty text. Remove it before indexing, or check how it was read.`,
      );
    }
  });
}

/**
 * Adds batches of vectors to a vector store as an {@link EmbeddingFeed} delivers them (in order, one `add` at a
 * time), so that the store's work overlaps the requests still in flight. The first failure stops later adds and
 * is thrown by {@link settled}; the store is then partly filled, which is why only a store nobody else sees yet
 * may be filled this way.
 */
class EarlyVectorAdds {
  private chain: Promise<void> = Promise.resolve();
  private failed = false;
  private error: unknown;
  /** Pass to `createFeed`: `start` indexes `nodes` (the nodes embedded, in the order their texts were pushed). */
  readonly listener: VectorsListener;

  constructor(store: VectorStore, nodes: readonly TextNode[]) {
    this.listener = (start, vectors) => {
      const batch = nodes.slice(start, start + vectors.length);
      batch.forEach((node, i) => {
        node.embedding = vectors[i];
      });
      this.chain = this.chain.then(async () => {
        if (this.failed) return;
        try {
          await store.add(batch);
          // The store keeps its own copy.
          for (const node of batch) node.embedding = undefined;
        } catch (error) {
          this.failed = true;
          this.error = error;
        }
      });
    };
  }

  /** Resolves once every delivered batch is added; rejects with the first failure. */
  async settled(): Promise<void> {
    await this.chain;
    if (this.failed) throw this.error;
  }
}
