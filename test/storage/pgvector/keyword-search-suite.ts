import { expect, it } from "vitest";
import {
  AbortError,
  InvalidArgumentError,
  MockEmbedding,
  QueryFusionRetriever,
  StorageContext,
  StorageError,
  TextNode,
  VectorStoreIndex,
} from "../../../src/index.js";
import { reciprocalRankFusion } from "../../../src/retrievers/fusion-retriever.js";
import {
  PgKeywordRetriever,
  PgKeywordStore,
  type PgKeywordStoreOptions,
  PgVectorStore,
  type PgVectorStoreOptions,
} from "../../../src/storage/vector-store/pgvector/index.js";

/** The connection a store gets (`pglite` or `client`), optionally recording every statement it runs. */
export type Connection = Pick<PgVectorStoreOptions, "pglite" | "client">;

/** How a runner connects stores and runs raw SQL (one session: `SET` carries over to the next statement). */
export interface KeywordHarness {
  connection(record?: (sql: string, values: unknown[] | undefined) => void): Connection;
  sql<R>(text: string, values?: unknown[]): Promise<R[]>;
}

let tables = 0;
const table = () => `kw_${process.pid}_${++tables}`;

/** Small documents: one says "edit 1234", one says "edit" many times, one only "1234". */
function docs(): TextNode[] {
  const node = (id: string, text: string, lang: string, doc: string) =>
    new TextNode({ id, text, metadata: { lang, file: doc }, refDocId: doc, startCharIdx: 3, endCharIdx: 9 });
  return [
    node("guide", "To change a record, type edit 1234 in the console.", "en", "guide.md"),
    node("editor", "Edit, edit and edit again: editing the editor's edits never ends.", "en", "style.md"),
    node("ticket", "Ticket 1234 was closed on Monday.", "en", "tickets.md"),
    node("keeper", "The keeper polished the great lens at dawn.", "en", "lighthouse.md"),
    node("gardien", "Le gardien a poli la grande lentille à l'aube.", "fr", "phare.md"),
  ];
}

/** Index names in `tableName`'s plan of `sql`, with sequential scans off (so any usable index shows). */
async function planOf(harness: KeywordHarness, sql: string, values: unknown[] | undefined): Promise<string> {
  await harness.sql("SET enable_seqscan = off");
  try {
    const rows = await harness.sql<{ "QUERY PLAN": string }>(`EXPLAIN ${sql}`, values);
    return rows.map((r) => r["QUERY PLAN"]).join("\n");
  } finally {
    await harness.sql("RESET enable_seqscan");
  }
}

/** Keyword search on PgVectorStore and PgKeywordStore, their retriever, and fusion with vectors. */
export function keywordSearchSuite(harness: () => KeywordHarness): void {
  const vectorStore = (
    options: Partial<PgVectorStoreOptions> = {},
    record?: Parameters<KeywordHarness["connection"]>[0],
  ) => new PgVectorStore({ dimensions: 16, tableName: table(), ...harness().connection(record), ...options });
  const keywordStore = (options: Partial<PgKeywordStoreOptions> = {}) =>
    new PgKeywordStore({ tableName: table(), ...harness().connection(), ...options });
  const embedModel = new MockEmbedding({ dimensions: 16 });
  const embedded = async () => {
    const nodes = docs();
    const vectors = await embedModel.getTextEmbeddings(nodes.map((n) => n.text));
    nodes.forEach((n, i) => {
      n.embedding = vectors[i];
    });
    return nodes;
  };

  it('finds the node with both words of "edit 1234" first, then nodes with one, whole, scores falling', async () => {
    const store = vectorStore();
    await store.add(await embedded());
    const hits = await store.keywordSearch({ query: "edit 1234", similarityTopK: 5 });
    // "editor" says edit 5 times (ts_rank_cd alone would put it first); "guide" has both words.
    expect(hits.map((h) => h.node.id)).toEqual(["guide", "editor", "ticket"]);
    const scores = hits.map((h) => h.score ?? Number.NaN);
    expect(scores[0]).toBeGreaterThan(2);
    expect(scores[0]).toBeLessThan(3);
    expect(scores.slice(1).map(Math.floor)).toEqual([1, 1]);
    expect(scores[1]).toBeGreaterThanOrEqual(scores[2]!);
    const guide = hits[0]!.node;
    expect(guide).toBeInstanceOf(TextNode);
    expect(guide.toJSON()).toEqual(docs()[0]!.toJSON());
  });

  it("ORs the words: an unknown word still finds the others; only unknown or stop words find nothing", async () => {
    const store = vectorStore();
    await store.add(await embedded());
    expect(
      (await store.keywordSearch({ query: "zyzzyva 1234", similarityTopK: 5 })).map((h) => h.node.id),
    ).toEqual(["guide", "ticket"]);
    expect(await store.keywordSearch({ query: "zyzzyva quux", similarityTopK: 5 })).toEqual([]);
    expect(await store.keywordSearch({ query: "the of and", similarityTopK: 5 })).toEqual([]);
    // Quotes, backslashes and tsquery syntax in the words are words, not syntax.
    expect(
      (await store.keywordSearch({ query: "it's edit & !1234 | 'x\\y' <->", similarityTopK: 1 })).map(
        (h) => h.node.id,
      ),
    ).toEqual(["guide"]);
  });

  it("stems with the english default; the simple configuration matches exact words only", async () => {
    const english = vectorStore();
    await english.add(await embedded());
    expect((await english.keywordSearch({ query: "polishing keepers", similarityTopK: 2 }))[0]?.node.id).toBe(
      "keeper",
    );
    const simple = vectorStore({ textSearch: { config: "simple" } });
    await simple.add(await embedded());
    expect(await simple.keywordSearch({ query: "polishing keepers", similarityTopK: 2 })).toEqual([]);
    expect((await simple.keywordSearch({ query: "Polished", similarityTopK: 2 }))[0]?.node.id).toBe("keeper");
  });

  it("takes similarityTopK, metadata filters and docIds in SQL", async () => {
    const store = vectorStore();
    await store.add(await embedded());
    expect(await store.keywordSearch({ query: "edit 1234", similarityTopK: 1 })).toHaveLength(1);
    const filters = {
      filters: [{ key: "file", operator: "in" as const, value: ["tickets.md", "style.md"] }],
    };
    expect(
      (await store.keywordSearch({ query: "edit 1234", similarityTopK: 5, filters })).map((h) => h.node.id),
    ).toEqual(["editor", "ticket"]);
    const docIds = ["tickets.md", "guide.md"];
    expect(
      (await store.keywordSearch({ query: "edit 1234", similarityTopK: 5, docIds })).map((h) => h.node.id),
    ).toEqual(["guide", "ticket"]);
    expect(await store.keywordSearch({ query: "edit", similarityTopK: 5, docIds: [] })).toEqual([]);
  });

  it("serves the search from the GIN index on the generated column (the plan of the statement it ran)", async () => {
    const seen: [string, unknown[] | undefined][] = [];
    const store = vectorStore({}, (sql, values) => seen.push([sql, values]));
    await store.add(await embedded());
    const name = store.tableName.split(".")[1]!.slice(1, -1);
    const indexes = await harness().sql<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE tablename = $1",
      [name],
    );
    expect(indexes.map((r) => r.indexdef).join("\n")).toMatch(
      /_tsv_idx"? ON .* USING gin \(text_search_tsv\)/,
    );
    const filters = { filters: [{ key: "lang", value: "en" }] };
    seen.length = 0;
    await store.keywordSearch({ query: "edit 1234", similarityTopK: 2, filters });
    const [sql, values] = seen.find(([s]) => s.includes("ts_rank_cd"))!;
    expect(await planOf(harness(), sql, values)).toMatch(
      new RegExp(`Bitmap Index Scan on "?${name}_tsv_idx`),
    );
  });

  it("searches a table made before full-text search without DDL, and the next add() adds the column", async () => {
    const tableName = table();
    const old = new PgVectorStore({
      dimensions: 16,
      tableName,
      textSearch: false,
      ...harness().connection(),
    });
    await old.add(await embedded());
    await expect(old.keywordSearch({ query: "edit", similarityTopK: 1 })).rejects.toThrow(
      /textSearch: false/,
    );
    const column = () =>
      harness().sql(
        "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'text_search_tsv'",
        [old.tableName],
      );
    expect(await column()).toHaveLength(0);
    const current = vectorStore({ tableName });
    expect((await current.keywordSearch({ query: "edit 1234", similarityTopK: 1 }))[0]?.node.id).toBe(
      "guide",
    );
    expect(await column()).toHaveLength(0); // the read path ran no DDL
    await current.add([
      new TextNode({ id: "late", text: "a late edit", embedding: await embedModel.getTextEmbedding("x") }),
    ]);
    expect(await column()).toHaveLength(1);
    const after = (await current.keywordSearch({ query: "edit 1234", similarityTopK: 5 })).map(
      (h) => h.node.id,
    );
    expect(after[0]).toBe("guide");
    expect(after.slice(1).sort()).toEqual(["editor", "late", "ticket"]);
  });

  it("refuses a table whose column has another configuration, and an unknown or malformed configuration", async () => {
    const tableName = table();
    await vectorStore({ tableName, textSearch: { config: "simple" } }).add(await embedded());
    await expect(
      vectorStore({ tableName }).keywordSearch({ query: "edit", similarityTopK: 1 }),
    ).rejects.toThrow(
      /made with text search configuration "simple", but this store was configured with textSearch.config "english"/,
    );
    const unknown = vectorStore({ textSearch: { config: "klingon" } });
    const error = await unknown.add(await embedded()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(/no text search configuration "klingon".*pg_ts_config/);
    expect(() => vectorStore({ textSearch: { config: "english'; DROP TABLE x; --" } })).toThrow(
      InvalidArgumentError,
    );
    expect(() => vectorStore({ textSearch: "english" as never })).toThrow(/expected \{ config\? \} or false/);
    const store = vectorStore();
    await expect(store.keywordSearch({ query: "  ", similarityTopK: 1 })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(store.keywordSearch({ query: "x", similarityTopK: 0 })).rejects.toThrow(/similarityTopK/);
    await expect(
      store.keywordSearch({ query: "x", similarityTopK: 1, docIds: [1] as never }),
    ).rejects.toThrow(/docIds/);
  });

  it("PgKeywordStore: a table without embeddings, created by the first add, upserted, deleted, searched", async () => {
    const store = keywordStore({ tableName: 'we"ird ✓ tablé' });
    expect(await store.count()).toBe(0);
    expect(await store.keywordSearch({ query: "edit", similarityTopK: 2 })).toEqual([]);
    await store.delete("guide.md");
    const exists = () =>
      harness().sql("SELECT to_regclass($1) AS t", [store.tableName]) as Promise<{ t: unknown }[]>;
    expect((await exists())[0]!.t).toBeNull(); // reads created nothing
    await store.add(docs());
    const columns = await harness().sql<{ attname: string }>(
      "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 ORDER BY attnum",
      [store.tableName],
    );
    expect(columns.map((c) => c.attname)).toEqual([
      "id",
      "ref_doc_id",
      "text",
      "metadata",
      "node_info",
      "text_search_tsv",
    ]);
    expect(await store.count()).toBe(5);
    await store.add([
      new TextNode({ id: "ticket", text: "Ticket 99 was reopened.", refDocId: "tickets.md" }),
    ]);
    expect(await store.count()).toBe(5);
    expect(
      (await store.keywordSearch({ query: "edit 1234", similarityTopK: 5 })).map((h) => h.node.id),
    ).toEqual(["guide", "editor"]);
    await store.delete("guide.md");
    expect((await store.keywordSearch({ query: "1234", similarityTopK: 5 })).map((h) => h.node.id)).toEqual(
      [],
    );
    await store.clear();
    expect(await store.count()).toBe(0);
    await store.close();
    await expect(store.count()).rejects.toThrow(/closed/);
  });

  it("a keyword table and a vector table refuse each other, naming what the table is", async () => {
    const vectors = vectorStore();
    await vectors.add(await embedded());
    const onVectors = keywordStore({ tableName: vectors.tableName.split(".")[1]!.slice(1, -1) });
    await expect(onVectors.count()).rejects.toThrow(
      /holds vector\(16\) embeddings: it is a PgVectorStore table/,
    );
    const words = keywordStore();
    await words.add(docs());
    const onWords = vectorStore({ tableName: words.tableName.split(".")[1]!.slice(1, -1) });
    await expect(onWords.query({ queryEmbedding: new Float32Array(16), similarityTopK: 1 })).rejects.toThrow(
      /has no "embedding" column/,
    );
    expect(() => keywordStore({ textSearch: false as never })).toThrow(/only by full-text search/);
  });

  it("PgKeywordRetriever: similarityTopK, filters, whole nodes; an aborted signal rejects", async () => {
    const store = keywordStore();
    await store.add(docs());
    const retriever = new PgKeywordRetriever(store, {
      similarityTopK: 1,
      filters: { filters: [{ key: "lang", value: "fr" }] },
    });
    const [hit] = await retriever.retrieve("gardien lentille");
    expect(hit?.node.metadata).toEqual({ lang: "fr", file: "phare.md" });
    expect(await retriever.retrieve("edit 1234")).toEqual([]);
    const signal = AbortSignal.abort();
    await expect(retriever.retrieve("edit", { signal })).rejects.toBeInstanceOf(AbortError);
    const controller = new AbortController();
    const pending = new PgKeywordRetriever(store).retrieve("edit", { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    expect(
      () =>
        new PgKeywordRetriever(store, {
          filters: { filters: [{ key: "a", operator: "~" as never, value: 1 }] },
        }),
    ).toThrow(InvalidArgumentError);
  });

  it("fuses with vector retrieval through QueryFusionRetriever (reciprocal ranks of both lists)", async () => {
    const store = vectorStore();
    const index = await VectorStoreIndex.fromNodes(docs(), {
      storageContext: new StorageContext({ vectorStore: store }),
      embedModel,
    });
    const vector = index.asRetriever({ similarityTopK: 5 });
    const keyword = new PgKeywordRetriever(store, { similarityTopK: 5 });
    const hybrid = new QueryFusionRetriever({ retrievers: [vector, keyword], similarityTopK: 3 });
    const question = "edit 1234";
    const fused = await hybrid.retrieve(question);
    const expected = reciprocalRankFusion([
      await vector.retrieve(question),
      await keyword.retrieve(question),
    ]);
    expect(fused.map((h) => h.node.id)).toEqual(expected.slice(0, 3).map((h) => h.node.id));
    expect(fused.map((h) => h.node.id)).toContain("guide");
    expect(new Set(fused.map((h) => h.node.id)).size).toBe(3);
  });
}
