import { mkdtemp, readdir, readFile, rm, truncate, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { StorageError, TextNode } from "../../../src/index.js";
import { ANN_MANIFEST_FILE, type AnnManifest } from "../../../src/storage/vector-store/ann/ann-files.js";
import { decodeRows, encodeRows } from "../../../src/storage/vector-store/ann/ann-rows.js";
import { AnnVectorStore } from "../../../src/storage/vector-store/ann/index.js";
import { randomVectors } from "../random-vectors.js";

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), "streamdex-ann-files-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const vectors = randomVectors(300, 16, 5);
const ODD_ID = "naïve-\uD83D\uDE00-\uD800"; // non-ASCII, an emoji and a lone surrogate
/** 300 nodes over 30 documents; metadata: shared by document, per node, empty, and one odd id. */
const nodes = vectors.map(
  (embedding, i) =>
    new TextNode({
      id: i === 7 ? ODD_ID : `n${i}`,
      text: "",
      embedding,
      refDocId: i % 10 === 0 ? undefined : `doc-é${i % 30}`,
      metadata:
        i % 3 === 0 ? {} : i % 3 === 1 ? { file: `f${i % 30}.md`, tags: ["a", "ü"] } : { n: i, x: null },
    }),
);

/** The ids a persisted() store holds whose original node satisfies `keep`, sorted. */
const idsWhere = (keep: (n: TextNode, i: number) => boolean) =>
  nodes
    .filter((n, i) => n.refDocId !== "doc-é3" && n.id !== "n5" && keep(n, i))
    .map((n) => n.id)
    .sort();

const manifestOf = async (dir: string) =>
  JSON.parse(await readFile(join(dir, ANN_MANIFEST_FILE), "utf8")) as AnnManifest;

/** Persists a store of `nodes` (minus document 3, with node n5 replaced) to a fresh directory. */
async function persisted(): Promise<{ dir: string; store: AnnVectorStore }> {
  const dir = await tempDir();
  const store = new AnnVectorStore({ expansionSearch: 200 });
  await store.add(nodes);
  await store.delete("doc-é3");
  await store.add([new TextNode({ id: "n5", text: "", embedding: vectors[0]!, metadata: { v: 2 } })]);
  await store.persist(dir);
  return { dir, store };
}

describe("AnnVectorStore persisted format 2", () => {
  it("round-trips ids, document ids, metadata, deletes and upserts; filters work after load", async () => {
    const { dir, store } = await persisted();
    expect((await readdir(dir)).sort()).toEqual([
      expect.stringMatching(/^ann-.+\.rows$/),
      expect.stringMatching(/^ann-.+\.usearch$/),
      ANN_MANIFEST_FILE,
    ]);
    const manifest = await manifestOf(dir);
    expect(manifest.formatVersion).toBe(2);
    expect(manifest.rows).toBe(store.size);
    expect(JSON.stringify(manifest).length).toBeLessThan(1000); // the rows are not in the manifest
    for (const mode of ["view", "load"] as const) {
      const loaded = await AnnVectorStore.load(dir, { mode });
      expect(loaded.size).toBe(300 - 10);
      expect(loaded.has("n3")).toBe(false);
      expect(loaded.has(ODD_ID)).toBe(true);
      expect(loaded.getMetadata("n5")).toEqual({ v: 2 });
      expect(loaded.getMetadata("n4")).toEqual({ file: "f4.md", tags: ["a", "ü"] });
      expect(loaded.getMetadata("n8")).toEqual({ n: 8, x: null });
      expect(loaded.getMetadata("n9")).toEqual({});
      for (const id of ["n1", "n4", ODD_ID, "n10"]) {
        expect(loaded.getMetadata(id)).toEqual(store.getMetadata(id));
      }
      const q = vectors[11]!;
      expect(await loaded.query({ queryEmbedding: q, similarityTopK: 10 })).toEqual(
        await store.query({ queryEmbedding: q, similarityTopK: 10 }),
      );
      const byFile = await loaded.query({
        queryEmbedding: q,
        similarityTopK: 50,
        filters: { filters: [{ key: "file", value: "f4.md" }] },
      });
      expect(byFile.ids.sort()).toEqual(idsWhere((n) => n.metadata.file === "f4.md"));
      expect(byFile.ids).toHaveLength(10);
      const byDoc = await loaded.query({ queryEmbedding: q, similarityTopK: 50, docIds: ["doc-é7", "n0"] });
      expect(byDoc.ids.sort()).toEqual(idsWhere((n) => n.refDocId === "doc-é7" || n.id === "n0"));
      expect(byDoc.ids).toContain(ODD_ID);
      const byDocAndMeta = await loaded.query({
        queryEmbedding: q,
        similarityTopK: 50,
        docIds: ["doc-é8"],
        filters: { filters: [{ key: "n", value: 100, operator: ">" }] },
      });
      expect(byDocAndMeta.ids.sort()).toEqual(
        idsWhere((n) => n.refDocId === "doc-é8" && typeof n.metadata.n === "number" && n.metadata.n > 100),
      );
      expect(byDocAndMeta.ids.length).toBeGreaterThan(0);
    }
  });

  it("keeps a loaded row's metadata its own: changing one row's copy changes neither the others nor the file", async () => {
    const { dir } = await persisted();
    const loaded = await AnnVectorStore.load(dir);
    const mine = loaded.getMetadata("n4")!;
    mine.file = "changed.md";
    expect(loaded.getMetadata("n4")).toEqual({ file: "changed.md", tags: ["a", "ü"] });
    expect(loaded.getMetadata("n34")).toEqual({ file: "f4.md", tags: ["a", "ü"] });
    const r = await loaded.query({
      queryEmbedding: vectors[0]!,
      similarityTopK: 50,
      filters: { filters: [{ key: "file", value: "changed.md" }] },
    });
    expect(r.ids).toEqual(["n4"]);
    await loaded.persist(dir);
    const again = await AnnVectorStore.load(dir, { mode: "load" });
    expect(again.getMetadata("n4")?.file).toBe("changed.md");
    expect(again.getMetadata("n34")?.file).toBe("f4.md");
  });

  it("reads format 1 (rows inside the manifest) and writes format 2 on the next persist", async () => {
    const { dir, store } = await persisted();
    const m = await manifestOf(dir);
    const rows = decodeRows(await readFile(join(dir, m.rowsFile)), m.rowsFile, m.rows);
    const v1 = {
      format: "streamdex-ann",
      formatVersion: 1,
      generation: m.generation,
      indexFile: m.indexFile,
      indexSize: m.indexSize,
      config: m.config,
      nextKey: m.nextKey,
      keys: Array.from(rows.keys),
      ids: rows.ids,
      refDocIds: Array.from(rows.docIndex, (d) => rows.documents[d]),
      metadata: Array.from(rows.metaIndex, (t) => (t === 0 ? null : JSON.parse(rows.texts[t - 1]!))),
    };
    await writeFile(join(dir, ANN_MANIFEST_FILE), JSON.stringify(v1));
    await unlink(join(dir, m.rowsFile));
    const old = await AnnVectorStore.load(dir);
    expect(old.size).toBe(store.size);
    expect(old.getMetadata("n4")).toEqual({ file: "f4.md", tags: ["a", "ü"] });
    expect(old.has(ODD_ID)).toBe(true);
    const q = vectors[20]!;
    expect(await old.query({ queryEmbedding: q, similarityTopK: 5 })).toEqual(
      await store.query({ queryEmbedding: q, similarityTopK: 5 }),
    );
    await old.delete("doc-é4");
    await old.persist(dir);
    expect((await manifestOf(dir)).formatVersion).toBe(2);
    expect((await AnnVectorStore.load(dir)).size).toBe(store.size - 10);
  });

  it("rejects a truncated, damaged or missing rows file with a StorageError", async () => {
    const { dir } = await persisted();
    const m = await manifestOf(dir);
    const rowsPath = join(dir, m.rowsFile);
    const good = await readFile(rowsPath);
    await truncate(rowsPath, m.rowsSize - 3);
    await expect(AnnVectorStore.load(dir)).rejects.toThrow(/\.rows holds \d+ bytes/);
    const damaged = Buffer.from(good);
    damaged[damaged.length - 2]! ^= 0x20;
    await writeFile(rowsPath, damaged);
    await expect(AnnVectorStore.load(dir)).rejects.toThrow(/CRC-32/);
    await unlink(rowsPath);
    const missing = await AnnVectorStore.load(dir).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(StorageError);
    expect((missing as Error).message).toMatch(/\.rows cannot be read/);
    await writeFile(join(dir, ANN_MANIFEST_FILE), JSON.stringify({ ...m, formatVersion: 3 }));
    await expect(AnnVectorStore.load(dir)).rejects.toThrow(
      /format version 3; this streamdex reads versions 1 and 2/,
    );
  });

  it("rejects rows that pass the checksum but reuse a key or an id", async () => {
    const { dir, store } = await persisted();
    const m = await manifestOf(dir);
    const rows = decodeRows(await readFile(join(dir, m.rowsFile)), m.rowsFile, m.rows);
    /** Rewrites the rows file with changed columns and a manifest that vouches for it. */
    const rewrite = async (change: (keys: number[], ids: string[]) => void) => {
      const keys = Array.from(rows.keys);
      const ids = [...rows.ids];
      change(keys, ids);
      const buffer = encodeRows({
        keys,
        ids,
        docIds: Array.from(rows.docIndex, (d) => rows.documents[d]!),
        metadata: Array.from(rows.metaIndex, (t) => (t === 0 ? "" : rows.texts[t - 1]!)),
      });
      await writeFile(join(dir, m.rowsFile), buffer);
      const manifest = { ...m, rowsSize: buffer.length, rowsCrc32: crc32(buffer) };
      await writeFile(join(dir, ANN_MANIFEST_FILE), JSON.stringify(manifest));
    };
    await rewrite((keys) => {
      keys[1] = keys[0]!;
    });
    await expect(AnnVectorStore.load(dir)).rejects.toThrow(/corrupt \(the key \d+ is used twice\)/);
    await rewrite((_, ids) => {
      ids[1] = ids[0]!;
    });
    const loaded = await AnnVectorStore.load(dir); // ids are indexed on first use
    expect(loaded.size).toBe(store.size);
    expect(() => loaded.has("n1")).toThrow(StorageError);
    await expect(loaded.add([])).resolves.toEqual([]);
  });

  it("decodes only well-formed rows: every truncation or count mismatch is a StorageError", () => {
    const columns = {
      keys: [3, 9, 2 ** 40],
      ids: ["a", "b\uDC00", "ccc"],
      docIds: ["d", "d", "e"],
      metadata: ["", '{"k":1}', '{"k":1}'],
    };
    const buffer = encodeRows(columns);
    const rows = decodeRows(buffer, "x.rows", 3);
    expect(Array.from(rows.keys)).toEqual(columns.keys);
    expect(rows.ids).toEqual(columns.ids);
    expect(rows.documents).toEqual(["d", "e"]);
    expect(rows.texts).toEqual(['{"k":1}']);
    expect(Array.from(rows.metaIndex)).toEqual([0, 1, 1]);
    for (let cut = 0; cut < buffer.length; cut++) {
      expect(() => decodeRows(buffer.subarray(0, cut), "x.rows", 3)).toThrow(StorageError);
    }
    expect(() => decodeRows(buffer, "x.rows", 4)).toThrow(/holds 3 rows, the manifest lists 4/);
    const wrongLengths = Buffer.from(buffer);
    wrongLengths.writeUInt32LE(7, 32 + 3 * 8 + 2 * 16 + 8); // the first id's length
    expect(() => decodeRows(wrongLengths, "x.rows", 3)).toThrow(StorageError);
  });
});
