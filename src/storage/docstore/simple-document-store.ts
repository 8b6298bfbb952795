import { InvalidArgumentError, StorageError } from "../../errors/index.js";
import { TextNode, type TextNodeJSON } from "../../schema/node.js";
import { describe } from "../../utils/validate.js";

/** The JSON form of a {@link SimpleDocumentStore} (`docstore.json`): nodes without their embeddings. */
export interface SimpleDocumentStoreJSON {
  formatVersion: 1;
  nodes: TextNodeJSON[];
}

/**
 * Nodes (and documents) by id, in memory, plus which nodes came from which source document.
 * A node's source document is its `refDocId`, or the node itself when it has none (so a `Document` stored next
 * to its chunks is removed with them by `deleteRefDoc(document.id)`). Nodes are stored by reference.
 *
 * @example
 * ```ts
 * const docStore = new SimpleDocumentStore();
 * docStore.addDocuments([new TextNode({ text: "…", id: "a-1", refDocId: "a" })]);
 * docStore.refDocInfo("a"); // ["a-1"]
 * docStore.deleteRefDoc("a"); // ["a-1"]
 * ```
 */
export class SimpleDocumentStore {
  private readonly nodes = new Map<string, TextNode>();
  /** Node id → the document key it was filed under (kept so a later change of `node.refDocId` cannot desync). */
  private readonly docKeyOf = new Map<string, string>();
  private readonly refDocs = new Map<string, Set<string>>();

  /** Number of nodes stored. */
  get size(): number {
    return this.nodes.size;
  }

  /** Every stored node, in insertion order. */
  get docs(): IterableIterator<TextNode> {
    return this.nodes.values();
  }

  /**
   * Stores nodes by id. With `allowUpdate` (default) a node replaces the one with the same id; without it an
   * existing id throws {@link InvalidArgumentError} and nothing is stored.
   */
  addDocuments(nodes: TextNode[], allowUpdate = true): void {
    if (!Array.isArray(nodes)) {
      throw new InvalidArgumentError("nodes", `expected an array of TextNode, got ${describe(nodes)}.`);
    }
    const seen = new Set<string>();
    nodes.forEach((node, i) => {
      if (!(node instanceof TextNode)) {
        throw new InvalidArgumentError("nodes", `element ${i} is ${describe(node)}, not a TextNode.`);
      }
      if (!allowUpdate && (this.nodes.has(node.id) || seen.has(node.id))) {
        throw new InvalidArgumentError(
          "nodes",
          `a node with id "${node.id}" is already stored: pass allowUpdate = true to replace it.`,
        );
      }
      seen.add(node.id);
    });
    for (const node of nodes) {
      this.unfile(node.id);
      const docKey = node.refDocId ?? node.id;
      this.nodes.set(node.id, node);
      this.docKeyOf.set(node.id, docKey);
      const ids = this.refDocs.get(docKey);
      if (ids === undefined) this.refDocs.set(docKey, new Set([node.id]));
      else ids.add(node.id);
    }
  }

  /** The node with this id, or `undefined`. */
  getNode(id: string): TextNode | undefined {
    return this.nodes.get(id);
  }

  /**
   * The nodes with these ids, in the same order (so they line up with a vector store's scores). Throws
   * {@link StorageError} naming the first missing id: the docstore and the vector store disagree.
   */
  getNodes(ids: string[]): TextNode[] {
    return ids.map((id) => {
      const node = this.nodes.get(id);
      if (node === undefined) {
        throw new StorageError(
          `node "${id}" is in the vector store but not in the document store: the index is inconsistent; re-ingest.`,
        );
      }
      return node;
    });
  }

  /** Whether a node with this id is stored. */
  hasNode(id: string): boolean {
    return this.nodes.has(id);
  }

  /** Removes one node; returns whether it was there. */
  deleteNode(id: string): boolean {
    return this.unfile(id);
  }

  /** The ids of the stored nodes of the source document `refDocId`, or `undefined` when there are none. */
  refDocInfo(refDocId: string): string[] | undefined {
    const ids = this.refDocs.get(refDocId);
    return ids === undefined ? undefined : [...ids];
  }

  /** Removes every node of the source document `refDocId`; returns the removed ids. */
  deleteRefDoc(refDocId: string): string[] {
    const ids = [...(this.refDocs.get(refDocId) ?? [])];
    for (const id of ids) this.unfile(id);
    return ids;
  }

  /** The nodes as JSON (text, metadata, ids; embeddings are not included: they live in the vector store). */
  toJSON(): SimpleDocumentStoreJSON {
    return { formatVersion: 1, nodes: [...this.nodes.values()].map((node) => node.toJSON()) };
  }

  /** Rebuilds a store from {@link SimpleDocumentStore.toJSON}'s output; throws {@link StorageError} if malformed. */
  static fromJSON(json: unknown): SimpleDocumentStore {
    const data = json as Partial<SimpleDocumentStoreJSON> | null;
    if (data === null || typeof data !== "object" || data.formatVersion !== 1 || !Array.isArray(data.nodes)) {
      throw new StorageError("document store: expected { formatVersion: 1, nodes: [...] }.");
    }
    const store = new SimpleDocumentStore();
    const nodes = data.nodes.map((node, i) => {
      try {
        return TextNode.fromJSON(node);
      } catch (error) {
        throw new StorageError(`document store: node ${i} is malformed.`, { cause: error });
      }
    });
    store.addDocuments(nodes);
    return store;
  }

  private unfile(id: string): boolean {
    const docKey = this.docKeyOf.get(id);
    if (docKey === undefined) return false;
    const ids = this.refDocs.get(docKey)!;
    ids.delete(id);
    if (ids.size === 0) this.refDocs.delete(docKey);
    this.docKeyOf.delete(id);
    this.nodes.delete(id);
    return true;
  }
}
