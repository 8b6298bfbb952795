import { describe, expect, it } from "vitest";
import {
  Document,
  InvalidArgumentError,
  SimpleDocumentStore,
  StorageError,
  TextNode,
} from "../../src/index.js";

const chunk = (id: string, refDocId?: string, text = `text of ${id}`) =>
  new TextNode({ id, text, refDocId, metadata: { source: `${refDocId}.txt` } });

describe("SimpleDocumentStore", () => {
  it("stores nodes by id and returns them in the order asked", () => {
    const store = new SimpleDocumentStore();
    store.addDocuments([chunk("a", "d1"), chunk("b", "d1"), chunk("c", "d2")]);
    expect(store.size).toBe(3);
    expect(store.getNode("b")?.text).toBe("text of b");
    expect(store.getNode("zz")).toBeUndefined();
    expect(store.hasNode("c")).toBe(true);
    expect(store.getNodes(["c", "a"]).map((n) => n.id)).toEqual(["c", "a"]);
    expect([...store.docs].map((n) => n.id)).toEqual(["a", "b", "c"]);
  });

  it("getNodes throws StorageError naming a missing id", () => {
    const store = new SimpleDocumentStore();
    store.addDocuments([chunk("a")]);
    expect(() => store.getNodes(["a", "ghost"])).toThrow(StorageError);
    expect(() => store.getNodes(["ghost"])).toThrow(/"ghost"/);
  });

  it("replaces a node by id unless allowUpdate is false", () => {
    const store = new SimpleDocumentStore();
    store.addDocuments([chunk("a", "d1", "old")]);
    store.addDocuments([chunk("a", "d1", "new")]);
    expect(store.getNode("a")?.text).toBe("new");
    expect(() => store.addDocuments([chunk("b"), chunk("a", "d1", "newer")], false)).toThrow(
      InvalidArgumentError,
    );
    expect(() => store.addDocuments([chunk("x"), chunk("x")], false)).toThrow(/allowUpdate/);
    expect(store.getNode("a")?.text).toBe("new");
    expect(store.hasNode("b")).toBe(false);
  });

  it("tracks the nodes of each source document, and deletes them together", () => {
    const store = new SimpleDocumentStore();
    const doc = new Document({ id: "d1", text: "whole document" });
    store.addDocuments([doc, chunk("a", "d1"), chunk("b", "d1"), chunk("c", "d2")]);
    expect(store.refDocInfo("d1")).toEqual(["d1", "a", "b"]);
    expect(store.refDocInfo("nope")).toBeUndefined();
    expect(store.deleteRefDoc("d1").sort()).toEqual(["a", "b", "d1"]);
    expect(store.size).toBe(1);
    expect(store.refDocInfo("d1")).toBeUndefined();
    expect(store.deleteRefDoc("d1")).toEqual([]);
  });

  it("moves a node to its new document when it is re-added with another refDocId", () => {
    const store = new SimpleDocumentStore();
    store.addDocuments([chunk("a", "d1")]);
    store.addDocuments([chunk("a", "d2")]);
    expect(store.refDocInfo("d1")).toBeUndefined();
    expect(store.refDocInfo("d2")).toEqual(["a"]);
    expect(store.deleteNode("a")).toBe(true);
    expect(store.deleteNode("a")).toBe(false);
    expect(store.refDocInfo("d2")).toBeUndefined();
  });

  it("round-trips through JSON, without embeddings", () => {
    const store = new SimpleDocumentStore();
    const node = new TextNode({
      id: "a",
      text: "Paris is the capital of France.",
      metadata: { page: 3, tags: ["geo"] },
      refDocId: "atlas",
      excludedLlmMetadataKeys: ["tags"],
      startCharIdx: 10,
      endCharIdx: 41,
      embedding: [0.1, 0.2],
    });
    store.addDocuments([node, new Document({ id: "atlas", text: "…" })]);
    const json = JSON.parse(JSON.stringify(store.toJSON()));
    expect(JSON.stringify(json)).not.toContain("embedding");
    const copy = SimpleDocumentStore.fromJSON(json);
    const a = copy.getNode("a")!;
    expect(a.toJSON()).toEqual(node.toJSON());
    expect(a.embedding).toBeUndefined();
    expect(copy.getNode("atlas")).toBeInstanceOf(Document);
    expect(copy.refDocInfo("atlas")).toEqual(["a", "atlas"]);
  });

  it("fromJSON rejects malformed data with StorageError", () => {
    expect(() => SimpleDocumentStore.fromJSON(null)).toThrow(StorageError);
    expect(() => SimpleDocumentStore.fromJSON({ formatVersion: 2, nodes: [] })).toThrow(StorageError);
    expect(() => SimpleDocumentStore.fromJSON({ formatVersion: 1, nodes: [{ id: "x" }] })).toThrow(/node 0/);
  });

  it("validates its arguments", () => {
    const store = new SimpleDocumentStore();
    expect(() => store.addDocuments("nope" as unknown as TextNode[])).toThrow(InvalidArgumentError);
    expect(() => store.addDocuments([{ id: "x", text: "x" } as unknown as TextNode])).toThrow(
      /not a TextNode/,
    );
  });
});
