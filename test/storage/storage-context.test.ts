import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  Document,
  InvalidArgumentError,
  loadStorageContext,
  type PersistFileSystem,
  SimpleVectorStore,
  type StorageContext,
  StorageError,
  storageContextFromDefaults,
  TextNode,
} from "../../src/index.js";
import { nodeFileSystem } from "../../src/storage/persist-fs.js";
import { PERSIST_FILES } from "../../src/storage/storage-context.js";
import { nodesOf, randomVectors } from "./random-vectors.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "streamdex-storage-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A context holding `count` nodes of `dims` dimensions (ids prefixed by `prefix`) and their document. */
async function filled(count: number, dims: number, prefix = "n", seed = 1): Promise<StorageContext> {
  const context = await storageContextFromDefaults();
  const nodes = nodesOf(randomVectors(count, dims, seed), 5, prefix);
  nodes.forEach((n, i) => {
    n.metadata = { file: `${n.refDocId}.txt`, index: i };
  });
  context.docStore.addDocuments([new Document({ id: "d0", text: "source" }), ...nodes]);
  await context.vectorStore.add(nodes);
  return context;
}

const query = (context: StorageContext, vector: Float32Array, k = 5) =>
  context.vectorStore.query({ queryEmbedding: vector, similarityTopK: k });

/** The real file system, except that `fail(op, path)` returning true makes that operation throw. */
const failing = (fail: (op: string, path: string) => boolean): PersistFileSystem => ({
  ...nodeFileSystem,
  writeFile: (path, data) =>
    fail("writeFile", path)
      ? Promise.reject(new Error("injected write failure"))
      : nodeFileSystem.writeFile(path, data),
  rename: (from, to) =>
    fail("rename", to) ? Promise.reject(new Error("injected crash")) : nodeFileSystem.rename(from, to),
});

describe("StorageContext persistence", () => {
  it("round-trips nodes, metadata, vectors and query results", async () => {
    const context = await filled(600, 64);
    await context.persist(dir);
    expect((await readdir(dir)).sort()).toEqual(
      [
        PERSIST_FILES.docStore,
        PERSIST_FILES.manifest,
        PERSIST_FILES.vectorStore,
        PERSIST_FILES.vectors,
      ].sort(),
    );
    expect((await readFile(join(dir, PERSIST_FILES.vectors))).byteLength).toBe(600 * 64 * 4);
    expect(await readFile(join(dir, PERSIST_FILES.docStore), "utf8")).not.toContain("embedding");

    const loaded = await storageContextFromDefaults({ persistDir: dir });
    expect(loaded.persistDir).toBe(dir);
    expect(loaded.docStore.size).toBe(601);
    const node = loaded.docStore.getNode("n7")!;
    expect(node).toBeInstanceOf(TextNode);
    expect(node.toJSON()).toEqual(context.docStore.getNode("n7")!.toJSON());
    expect(loaded.docStore.getNode("d0")).toBeInstanceOf(Document);
    const store = loaded.vectorStore as SimpleVectorStore;
    expect(store).toBeInstanceOf(SimpleVectorStore);
    expect(store.size).toBe(600);
    expect(store.get("n7")).toEqual((context.vectorStore as SimpleVectorStore).get("n7"));
    for (const q of randomVectors(5, 64, 2)) expect(await query(loaded, q)).toEqual(await query(context, q));
    await loaded.vectorStore.delete("d1");
    expect(store.size).toBe(480);
  });

  it("round-trips an empty context and dimensions that need padding, on the JS backend", async () => {
    await (await storageContextFromDefaults()).persist(dir);
    const empty = await loadStorageContext(dir);
    expect(empty.docStore.size).toBe(0);
    expect((empty.vectorStore as SimpleVectorStore).size).toBe(0);

    const context = await filled(50, 13);
    await context.persist(dir);
    const loaded = await loadStorageContext(dir, { vectorStoreOptions: { backend: "js" } });
    expect((loaded.vectorStore as SimpleVectorStore).backend).toBe("js");
    const [q] = randomVectors(1, 13, 3);
    expect(await query(loaded, q!)).toEqual(await query(context, q!));
  });

  it("starts empty when persistDir holds no index, and persists there by default", async () => {
    const target = join(dir, "nested", "index");
    const context = await storageContextFromDefaults({ persistDir: target });
    expect(context.docStore.size).toBe(0);
    context.docStore.addDocuments([new TextNode({ id: "a", text: "a" })]);
    await context.vectorStore.add([new TextNode({ id: "a", text: "a", embedding: [1, 2] })]);
    await context.persist();
    expect((await loadStorageContext(target)).docStore.getNode("a")?.text).toBe("a");
    await expect((await storageContextFromDefaults()).persist()).rejects.toThrow(InvalidArgumentError);
  });

  it("loading a directory without an index throws StorageError telling to persist first", async () => {
    await expect(loadStorageContext(dir)).rejects.toThrow(StorageError);
    await expect(loadStorageContext(join(dir, "missing"))).rejects.toThrow(/no index at .*run .*persist/);
  });

  it("keeps only the docstore for a vector store it cannot persist", async () => {
    const custom = {
      storesText: true,
      add: async () => [],
      delete: async () => {},
      query: async () => ({ ids: [], similarities: [] }),
    };
    const context = await storageContextFromDefaults({ vectorStore: custom });
    context.docStore.addDocuments([new TextNode({ id: "a", text: "a" })]);
    await context.persist(dir);
    expect(await readdir(dir)).not.toContain(PERSIST_FILES.vectors);
    expect((await loadStorageContext(dir, { vectorStore: custom })).vectorStore).toBe(custom);
  });

  describe("atomicity", () => {
    it("a write failing midway leaves the previous index loadable and no temp files", async () => {
      const old = await filled(300, 32, "old", 1);
      await old.persist(dir);
      const next = await filled(400, 32, "new", 2);
      const fs = failing((op, path) => op === "writeFile" && path.includes(`${PERSIST_FILES.vectors}.tmp-`));
      const error = await next.persist(dir, { fs }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as Error).message).toMatch(/previous index.*unchanged.*injected write failure/);
      expect((await readdir(dir)).filter((name) => name.includes(".tmp-"))).toEqual([]);
      const loaded = await loadStorageContext(dir);
      expect(loaded.docStore.hasNode("old0")).toBe(true);
      expect(loaded.docStore.hasNode("new0")).toBe(false);
      const [q] = randomVectors(1, 32, 9);
      expect(await query(loaded, q!)).toEqual(await query(old, q!));
    });

    it("a failing manifest write (the commit) leaves the previous index loadable", async () => {
      await (await filled(100, 16, "old", 1)).persist(dir);
      const fs = failing((op, path) => op === "rename" && path.endsWith(PERSIST_FILES.manifest));
      await expect((await filled(100, 16, "new", 2)).persist(dir, { fs })).rejects.toThrow(StorageError);
      expect((await loadStorageContext(dir)).docStore.hasNode("old0")).toBe(true);
    });

    it("a crash after the commit, between the final renames, loads the new index from its temp files", async () => {
      await (await filled(100, 16, "old", 1)).persist(dir);
      const next = await filled(120, 16, "new", 2);
      // docstore.json gets renamed into place; vectors.f32 and vector_store.json do not.
      const fs = failing(
        (op, path) =>
          op === "rename" && !path.endsWith(PERSIST_FILES.docStore) && !path.endsWith(PERSIST_FILES.manifest),
      );
      await expect(next.persist(dir, { fs })).rejects.toThrow(/saved.*still loads/);
      const loaded = await loadStorageContext(dir);
      expect(loaded.docStore.hasNode("new0")).toBe(true);
      const [q] = randomVectors(1, 16, 4);
      expect(await query(loaded, q!)).toEqual(await query(next, q!));
      // The next successful persist cleans the leftovers up.
      await loaded.persist(dir);
      expect((await readdir(dir)).filter((name) => name.includes(".tmp-"))).toEqual([]);
      expect((await loadStorageContext(dir)).docStore.hasNode("new0")).toBe(true);
    });

    it("refuses to commit when the vector store changes during persist", async () => {
      await (await filled(50, 16, "old", 1)).persist(dir);
      const context = await filled(50, 16, "new", 2);
      const pending = context.persist(dir);
      await context.vectorStore.add(nodesOf(randomVectors(5000, 16, 3), 5, "late"));
      await expect(pending).rejects.toThrow(/changed while/);
      expect((await loadStorageContext(dir)).docStore.hasNode("old0")).toBe(true);
    });
  });

  describe("corruption", () => {
    beforeEach(async () => {
      await (await filled(200, 32)).persist(dir);
    });

    it("a truncated vectors file is reported as a corrupt index", async () => {
      await truncate(join(dir, PERSIST_FILES.vectors), 1000);
      await expect(loadStorageContext(dir)).rejects.toThrow(/corrupt.*vectors\.f32.*[Rr]e-ingest/);
    });

    it("a flipped byte is caught by the checksum", async () => {
      const path = join(dir, PERSIST_FILES.vectors);
      const bytes = await readFile(path);
      bytes[12_345] = bytes[12_345]! ^ 0x40;
      await writeFile(path, bytes);
      await expect(storageContextFromDefaults({ persistDir: dir })).rejects.toThrow(StorageError);
    });

    it("a file from another index (a mismatched set) is detected", async () => {
      const other = join(dir, "other");
      await mkdir(other);
      await (await filled(200, 32, "n", 99)).persist(other);
      await writeFile(join(dir, PERSIST_FILES.vectors), await readFile(join(other, PERSIST_FILES.vectors)));
      await expect(loadStorageContext(dir)).rejects.toThrow(/corrupt/);
    });

    it("missing files and a garbled manifest are reported", async () => {
      await writeFile(join(dir, PERSIST_FILES.docStore), "{}");
      await expect(loadStorageContext(dir)).rejects.toThrow(/docstore\.json does not match/);
      await rm(join(dir, PERSIST_FILES.docStore));
      await expect(loadStorageContext(dir)).rejects.toThrow(/docstore\.json is missing/);
      await writeFile(join(dir, PERSIST_FILES.manifest), "{not json");
      await expect(loadStorageContext(dir)).rejects.toThrow(/corrupt/);
    });

    /** Rewrites the manifest with `entry` as its entry for the docstore; the error loading it. */
    async function loadWithDocStoreEntry(
      entry: (original: Record<string, unknown>) => unknown,
    ): Promise<unknown> {
      const path = join(dir, PERSIST_FILES.manifest);
      const manifest = JSON.parse(await readFile(path, "utf8")) as {
        files: Record<string, Record<string, unknown>>;
      };
      const { files } = manifest;
      const fixed = { ...files[PERSIST_FILES.docStore] };
      await writeFile(
        path,
        JSON.stringify({ ...manifest, files: { ...files, [PERSIST_FILES.docStore]: entry(fixed) } }),
      );
      const error = await loadStorageContext(dir).then(
        () => new Error("loaded"),
        (e: unknown) => e,
      );
      await writeFile(
        path,
        JSON.stringify({ ...manifest, files: { ...files, [PERSIST_FILES.docStore]: fixed } }),
      );
      return error;
    }

    it("a manifest entry that is not an object, or has an impossible size, is a corrupt index", async () => {
      const cases: Array<[(entry: Record<string, unknown>) => unknown, RegExp]> = [
        [(e) => ({ ...e, size: -1 }), /docstore\.json the size -1, not a number of bytes from 0 to \d+\)/],
        [(e) => ({ ...e, size: 1.5 }), /the size 1\.5,/],
        [(e) => ({ ...e, size: 1e12 }), /the size 1000000000000,/],
        [(e) => ({ ...e, size: "120" }), /the size "120",/],
        [(e) => ({ ...e, size: undefined }), /the size undefined,/],
        [() => null, /index_store\.json lists docstore\.json as null, not as a file entry/],
        [() => [1], /lists docstore\.json as \[1\],/],
        [(e) => ({ ...e, crc32: -1 }), /docstore\.json the checksum -1\)/],
        [(e) => ({ ...e, staged: "../../elsewhere" }), /the staged name "\.\.\/\.\.\/elsewhere"\)/],
      ];
      for (const [entry, detail] of cases) {
        const error = await loadWithDocStoreEntry(entry);
        expect(error, String(detail)).toBeInstanceOf(StorageError);
        const text = (error as Error).message;
        expect(text).toMatch(/^the index in .* is corrupt \(index_store\.json /);
        expect(text).toMatch(detail);
        expect(text).toMatch(/\. Re-ingest the documents and persist again\.$/);
      }
      // The manifest restored, the index loads.
      expect((await loadStorageContext(dir)).docStore.hasNode("d0")).toBe(true);
    });

    it("a declared size the file does not have is a corrupt index (checked before allocating for it)", async () => {
      // 4 GiB: a possible size, which the loader must not allocate for a file that is not that long.
      const error = await loadWithDocStoreEntry((e) => ({ ...e, size: 2 ** 32 }));
      expect(error).toBeInstanceOf(StorageError);
      expect((error as Error).message).toMatch(
        /corrupt \(docstore\.json does not match its size or checksum\)/,
      );
    });
  });
});
