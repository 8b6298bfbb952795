import { describe, expect, it } from "vitest";
import {
  type MetadataFilters,
  MockEmbedding,
  MockLLM,
  type SimpleVectorStore,
  TextNode,
  VectorStoreIndex,
} from "../../src/index.js";

const chunk = (id: string, text: string, refDocId: string, lang: string) =>
  new TextNode({ id, text, refDocId, metadata: { lang } });

describe("VectorStoreIndex filters and upsert", () => {
  it("asQueryEngine passes filters through: only matching sources reach the LLM", async () => {
    const index = await VectorStoreIndex.fromNodes(
      [
        chunk("en", "A crystal radio needs copper wire.", "d1", "en"),
        chunk("fr", "Une radio à galène a besoin de fil de cuivre.", "d2", "fr"),
      ],
      { embedModel: new MockEmbedding() },
    );
    const llm = new MockLLM({ response: "ok" });
    const filters: MetadataFilters = { filters: [{ key: "lang", value: ["fr"], operator: "in" }] };
    const res = await index
      .asQueryEngine({ llm, similarityTopK: 2, filters })
      .query("crystal radio copper wire");
    expect(res.sourceNodes.map((n) => n.node.id)).toEqual(["fr"]);
    expect(llm.calls[0]!.prompt).toContain("fil de cuivre");
    expect(llm.calls[0]!.prompt).not.toContain("needs copper");
  });

  it("inserting a node whose id exists replaces its vector, document, metadata and docstore entry", async () => {
    const embedModel = new MockEmbedding();
    const index = await VectorStoreIndex.fromNodes(
      [
        chunk("a", "Tide tables for the harbour.", "d1", "en"),
        chunk("b", "Cats purr on windowsills.", "d1", "en"),
      ],
      { embedModel },
    );
    await index.insertNodes([chunk("a", "A crystal radio needs copper wire.", "d2", "fr")]);
    const store = index.vectorStore as SimpleVectorStore;
    expect(store.size).toBe(2);
    expect(index.docStore.size).toBe(2);
    expect(index.docStore.getNode("a")!.text).toBe("A crystal radio needs copper wire.");
    expect(index.docStore.refDocInfo("d1")).toEqual(["b"]);
    expect(store.getMetadata("a")).toEqual({ lang: "fr" });
    const top = await index.asRetriever({ similarityTopK: 1 }).retrieve("crystal radio copper wire");
    expect(top[0]!.node.id).toBe("a");
    expect(top[0]!.score).toBeCloseTo(
      (
        await store.query({
          queryEmbedding: await embedModel.getQueryEmbedding("crystal radio copper wire"),
          similarityTopK: 1,
        })
      ).similarities[0]!,
      6,
    );
    const fr = { filters: [{ key: "lang", value: "fr" }] };
    expect(
      (await index.asRetriever({ similarityTopK: 2, filters: fr }).retrieve("harbour")).map((n) => n.node.id),
    ).toEqual(["a"]);
    // Deleting the old document leaves the moved node; deleting the new one removes it everywhere.
    await index.deleteRefDoc("d1");
    expect(store.has("a")).toBe(true);
    expect(index.docStore.hasNode("b")).toBe(false);
    await index.deleteRefDoc("d2");
    expect(store.size).toBe(0);
    expect(index.docStore.size).toBe(0);
    expect(await index.asRetriever({ filters: fr }).retrieve("radio")).toEqual([]);
  });
});
