import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidArgumentError, MetadataMode, ReaderError, SimpleDirectoryReader } from "../../src/index.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "streamdex-reader-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(rel: string, content: string | Uint8Array): Promise<string> {
  const file = path.join(dir, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

/** A reader that collects its warnings instead of printing them. */
function quietReader(options: ConstructorParameters<typeof SimpleDirectoryReader>[0] = {}) {
  const warnings: string[] = [];
  const reader = new SimpleDirectoryReader({ ...options, onWarning: (message) => warnings.push(message) });
  return { reader, warnings };
}

const names = (docs: { metadata: Record<string, unknown> }[]): unknown[] =>
  docs.map((d) => d.metadata.file_name);

describe("SimpleDirectoryReader", () => {
  it("reads supported files recursively, sorted by path", async () => {
    await put("b.md", "# Bee\n\nBuzz.");
    await put("a.txt", "Alpha.");
    await put("sub/c.txt", "Charlie.");
    await put("sub/deeper/d.md", "Delta.");
    await put("image.png", "not really a png");
    await put("README", "no extension");
    const { reader, warnings } = quietReader();
    const docs = await reader.loadData(dir);
    expect(names(docs)).toEqual(["a.txt", "b.md", "c.txt", "d.md"]);
    expect(docs.map((d) => d.text)).toEqual(["Alpha.", "# Bee\n\nBuzz.", "Charlie.", "Delta."]);
    expect(warnings).toEqual([]);
  });

  it("stays in the top directory when recursive is false", async () => {
    await put("a.txt", "Alpha.");
    await put("sub/c.txt", "Charlie.");
    const { reader } = quietReader({ recursive: false });
    expect(names(await reader.loadData({ directoryPath: dir }))).toEqual(["a.txt"]);
  });

  it("reads only requiredExts, including extensions not read by default (as text)", async () => {
    await put("a.txt", "Alpha.");
    await put("b.md", "Bravo.");
    await put("c.tsv", "x\ty\n1\t2");
    const { reader } = quietReader({ requiredExts: [".md", "TSV"] });
    const docs = await reader.loadData(dir);
    expect(names(docs)).toEqual(["b.md", "c.tsv"]);
    expect(docs[1]!.text).toBe("x\ty\n1\t2");
    expect(docs[1]!.metadata.file_type).toBe("text/tab-separated-values");
  });

  it("skips files and directories matching exclude globs", async () => {
    await put("keep.md", "Keep.");
    await put("notes.log.txt", "Log.");
    await put("drafts/one.md", "Draft.");
    await put("nested/drafts/two.md", "Nested draft, kept: drafts/** is anchored.");
    await put("node_modules/pkg/readme.md", "Dependency.");
    await put("nested/node_modules/x.md", "Nested dependency.");
    await put("nested/skip-me.md", "Skipped.");
    const { reader } = quietReader({ exclude: ["drafts/**", "node_modules", "*.log.txt", "**/skip-?e.md"] });
    const docs = await reader.loadData(dir);
    expect(docs.map((d) => path.relative(dir, d.id).split(path.sep).join("/"))).toEqual([
      "keep.md",
      "nested/drafts/two.md",
    ]);
  });

  it("skips hidden files and directories unless excludeHidden is false", async () => {
    await put("visible.md", "Seen.");
    await put(".hidden.md", "Hidden.");
    await put(".git/config.txt", "Hidden directory.");
    expect(names(await quietReader().reader.loadData(dir))).toEqual(["visible.md"]);
    const all = await quietReader({ excludeHidden: false }).reader.loadData(dir);
    expect(names(all)).toEqual(["config.txt", ".hidden.md", "visible.md"]);
  });

  it("reads HTML as text, without tags, scripts, styles or link targets", async () => {
    await put(
      "page.html",
      `<!doctype html><html><head><title>T</title><style>body { color: red; }</style>
       <script>var secret = "do-not-index";</script></head>
       <body><h1>Rivers of Europe</h1><p>The <a href="https://example.com/danube">Danube</a> flows east.</p>
       <img src="map.png" alt="map"><h2>Sources</h2><p>It rises in the Black Forest.</p>
       <script>console.log("tracking")</script></body></html>`,
    );
    const [doc] = await quietReader().reader.loadData(dir);
    expect(doc!.text).toContain("Rivers of Europe");
    expect(doc!.text).toContain("The Danube flows east.");
    expect(doc!.text).toMatch(
      /^Rivers of Europe\n\nThe Danube flows east\.\n{2,3}Sources\n\nIt rises in the Black Forest\.$/,
    );
    expect(doc!.text).not.toMatch(/<|>|do-not-index|tracking|color: red|example\.com|map\.png/);
    expect(doc!.metadata.file_type).toBe("text/html");
  });

  it("reads JSON as a readable outline", async () => {
    await put(
      "data.json",
      JSON.stringify({ title: "Notes", tags: ["a", "b"], author: { name: "Ada", born: 1815 } }),
    );
    await put("broken.json", "{ not json, kept as text }");
    const docs = await quietReader().reader.loadData(dir);
    expect(docs[0]!.text).toBe("{ not json, kept as text }");
    expect(docs[1]!.text).toBe("title: Notes\ntags:\n  - a\n  - b\nauthor:\n  name: Ada\n  born: 1815");
    expect(docs[1]!.metadata.file_type).toBe("application/json");
  });

  it("sets file metadata, hides machine-specific keys from embeddings and prompts, uses the path as id", async () => {
    const file = await put("guide.md", "\uFEFFA guide.");
    const reader = new SimpleDirectoryReader({
      fileMetadata: (p) => ({ source: path.basename(p), file_name: "Guide" }),
    });
    const [doc] = await reader.loadData({ inputFiles: [file] });
    expect(doc!.id).toBe(file);
    expect(doc!.text).toBe("A guide.");
    expect(doc!.metadata).toMatchObject({
      file_path: file,
      file_name: "Guide",
      file_type: "text/markdown",
      file_size: 11,
      source: "guide.md",
    });
    expect(new Date(doc!.metadata.last_modified_date as string).toISOString()).toBe(
      doc!.metadata.last_modified_date,
    );
    for (const mode of [MetadataMode.EMBED, MetadataMode.LLM]) {
      expect(doc!.getMetadataStr(mode)).toBe("file_name: Guide\nsource: guide.md");
    }
  });

  it("skips a binary file with a warning naming it", async () => {
    await put("good.txt", "Fine.");
    const bad = await put("blob.txt", new Uint8Array([0x68, 0x69, 0x00, 0x01, 0x02]));
    const { reader, warnings } = quietReader();
    expect(names(await reader.loadData(dir))).toEqual(["good.txt"]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(bad);
    expect(warnings[0]).toMatch(/binary/);
  });

  it("skips a file that is not valid UTF-8", async () => {
    const bad = await put("latin.txt", new Uint8Array([0xff, 0xfe, 0x41]));
    await put("good.txt", "Fine.");
    const { reader, warnings } = quietReader();
    expect(names(await reader.loadData(dir))).toEqual(["good.txt"]);
    expect(warnings.join("\n")).toContain(bad);
    expect(warnings.join("\n")).toMatch(/not valid utf-8/);
  });

  it("reads other encodings when told", async () => {
    await put("latin.txt", new Uint8Array([0x63, 0x61, 0x66, 0xe9]));
    const [doc] = await quietReader({ encoding: "latin1" }).reader.loadData(dir);
    expect(doc!.text).toBe("café");
  });

  it("skips empty and whitespace-only files", async () => {
    const empty = await put("empty.txt", "");
    const blank = await put("blank.md", "  \n\t\n");
    const blankHtml = await put("blank.html", "<html><body><script>x()</script></body></html>");
    await put("good.txt", "Fine.");
    const { reader, warnings } = quietReader();
    expect(names(await reader.loadData(dir))).toEqual(["good.txt"]);
    const all = warnings.join("\n");
    for (const file of [empty, blank, blankHtml]) expect(all).toContain(file);
    expect(all).toMatch(/empty/);
  });

  it("throws ReaderError naming the file with onError: 'error'", async () => {
    await put("good.txt", "Fine.");
    const bad = await put("blob.md", new Uint8Array([0, 0, 0]));
    const reader = new SimpleDirectoryReader({ onError: "error" });
    const error = await reader.loadData(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReaderError);
    expect((error as ReaderError).filePath).toBe(bad);
    expect((error as ReaderError).message).toContain(bad);
  });

  it("skips an unreadable entry (simulated with a dangling symlink: chmod 000 does not stop root)", async () => {
    await put("good.txt", "Fine.");
    const dangling = path.join(dir, "gone.md");
    await symlink(path.join(dir, "missing-target.md"), dangling);
    const { reader, warnings } = quietReader();
    expect(names(await reader.loadData(dir))).toEqual(["good.txt"]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(dangling);
    expect(warnings[0]).toMatch(/cannot be read/);
    await expect(new SimpleDirectoryReader({ onError: "error" }).loadData(dir)).rejects.toThrow(ReaderError);
  });

  it("skips an unreadable input file (simulated with a directory named like a file)", async () => {
    const good = await put("good.txt", "Fine.");
    const fake = path.join(dir, "folder.txt");
    await mkdir(fake);
    const { reader, warnings } = quietReader();
    const docs = await reader.loadData({ inputFiles: [fake, good] });
    expect(names(docs)).toEqual(["good.txt"]);
    expect(warnings.join("\n")).toContain(fake);
  });

  it("follows symlinks to files but not to directories", async () => {
    const target = await put("real/file.txt", "Real.");
    await symlink(target, path.join(dir, "link.txt"));
    await symlink(path.join(dir, "real"), path.join(dir, "loop"));
    const { reader, warnings } = quietReader();
    expect(names(await reader.loadData(dir))).toEqual(["link.txt", "file.txt"]);
    expect(warnings).toEqual([]);
  });

  it("reads a single file path", async () => {
    const file = await put("one.txt", "Only.");
    const docs = await quietReader().reader.loadData(file);
    expect(docs.map((d) => d.text)).toEqual(["Only."]);
  });

  it("throws ReaderError when the directory does not exist", async () => {
    const missing = path.join(dir, "nope");
    for (const input of [missing, { directoryPath: missing }, { inputFiles: [missing] }]) {
      const error = await quietReader()
        .reader.loadData(input)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReaderError);
      expect((error as Error).message).toContain(missing);
      expect((error as Error).message).toMatch(/does not exist/);
    }
  });

  it("rejects invalid options and inputs", async () => {
    expect(() => new SimpleDirectoryReader({ onError: "ignore" as never })).toThrow(InvalidArgumentError);
    expect(() => new SimpleDirectoryReader({ encoding: "klingon" })).toThrow(InvalidArgumentError);
    expect(() => new SimpleDirectoryReader({ requiredExts: "md" as never })).toThrow(InvalidArgumentError);
    await expect(new SimpleDirectoryReader().loadData({})).rejects.toThrow(InvalidArgumentError);
    await expect(
      new SimpleDirectoryReader().loadData({ directoryPath: dir, inputFiles: [] }),
    ).rejects.toThrow(/exactly one/);
  });

  it("warns through process.emitWarning by default", async () => {
    const bad = await put("blob.txt", new Uint8Array([0]));
    const seen: Error[] = [];
    const listener = (warning: Error) => seen.push(warning);
    process.on("warning", listener);
    try {
      await new SimpleDirectoryReader().loadData(dir);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", listener);
    }
    const ours = seen.filter((w) => w.name === "StreamdexReaderWarning");
    expect(ours).toHaveLength(1);
    expect(ours[0]!.message).toContain(bad);
  });

  it("reads many files with bounded concurrency, in order", async () => {
    for (let i = 0; i < 120; i++) await put(`f${String(i).padStart(3, "0")}.txt`, `File ${i}.`);
    const docs = await quietReader().reader.loadData(dir);
    expect(docs.map((d) => d.text)).toEqual(Array.from({ length: 120 }, (_, i) => `File ${i}.`));
  });
});
