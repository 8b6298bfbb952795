import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, SimpleDirectoryReader } from "../../src/index.js";
import { globToRegExp, matchesAny } from "../../src/ingestion/readers/glob.js";
import { quietReader, useTempFolder } from "../support/document-files.js";

const matches = (pattern: string, rel: string): boolean => matchesAny(rel, [globToRegExp(pattern)]);

describe("globToRegExp", () => {
  it("expands braces", () => {
    for (const rel of ["app.log", "logs/app.log", "x/y/cache.tmp"])
      expect(matches("*.{log,tmp}", rel)).toBe(true);
    for (const rel of ["notes.txt", "app.log.txt", "app.{log,tmp}"])
      expect(matches("*.{log,tmp}", rel)).toBe(false);
    expect(matches("part-{1..3}.md", "part-2.md")).toBe(true);
    expect(matches("part-{1..3}.md", "part-4.md")).toBe(false);
  });

  it("matches a pattern without a slash at any depth, one with a slash from the root", () => {
    expect(matches("node_modules", "node_modules")).toBe(true);
    expect(matches("node_modules", "a/b/node_modules")).toBe(true);
    expect(matches("node_modules", "node_modules_old")).toBe(false);
    expect(matches("drafts/", "a/drafts")).toBe(true);
    expect(matches("drafts/**", "drafts")).toBe(true);
    expect(matches("drafts/**", "drafts/a/b.md")).toBe(true);
    expect(matches("drafts/**", "nested/drafts/b.md")).toBe(false);
    expect(matches("docs/*.md", "docs/a.md")).toBe(true);
    expect(matches("docs/*.md", "docs/sub/a.md")).toBe(false);
    expect(matches("/top.md", "top.md")).toBe(true);
    expect(matches("/top.md", "sub/top.md")).toBe(false);
    expect(matches("**/node_modules/**", "node_modules/pkg/a.md")).toBe(true);
    expect(matches("**/node_modules/**", "x/node_modules/pkg/a.md")).toBe(true);
    expect(matches("**/node_modules/**", "x/my_node_modules/a.md")).toBe(false);
  });

  it("keeps ?, [abc], [!abc] within a name, and * and ** matching dotfiles", () => {
    expect(matches("skip-?e.md", "a/skip-me.md")).toBe(true);
    expect(matches("skip-?e.md", "a/skip-/e.md")).toBe(false);
    expect(matches("[ab].md", "b.md")).toBe(true);
    expect(matches("[!ab].md", "b.md")).toBe(false);
    expect(matches("[!ab].md", "c.md")).toBe(true);
    expect(matches("x[!ab]y", "x/y")).toBe(false);
    expect(matches("*.md", ".hidden.md")).toBe(true);
    expect(matches("**/*.md", ".git/x.md")).toBe(true);
    expect(matches("a\\{b\\}.md", "a{b}.md")).toBe(true);
  });

  it("rejects an invalid pattern with an InvalidArgumentError naming it and what is wrong", () => {
    const cases: [string, RegExp][] = [
      ["*.{log,tmp", /"\{" is never closed: add "}", or write "\\\{"/],
      ["[abc.txt", /"\[" is never closed/],
      ["report (1.txt", /"\(" is never closed/],
      ["a)b", /"\)" has no opening "\("/],
      ["!drafts", /leading "!"/],
      ["/", /no file or directory/],
    ];
    for (const [pattern, why] of cases) {
      let error: unknown;
      try {
        globToRegExp(pattern, "exclude");
      } catch (e) {
        error = e;
      }
      expect(error, pattern).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe("exclude");
      expect((error as Error).message).toContain(`"${pattern}"`);
      expect((error as Error).message).toMatch(why);
    }
  });
});

describe("SimpleDirectoryReader exclude", () => {
  const folder = useTempFolder("streamdex-glob-");
  const put = async (rel: string) => {
    const file = path.join(folder.dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `Text of ${rel}.`);
  };
  const relIds = (docs: { id: string }[]) =>
    docs.map((d) => path.relative(folder.dir, d.id).split(path.sep).join("/"));

  it("excludes with braces, **/dir/** and a pattern with a slash", async () => {
    for (const rel of ["keep.txt", "app.log", "cache.tmp", "sub/old.log", "node_modules/p/a.txt"])
      await put(rel);
    for (const rel of ["x/node_modules/b.txt", "docs/draft.txt", "other/docs/draft.txt"]) await put(rel);
    const { reader } = quietReader({
      requiredExts: [".txt", ".log", ".tmp"],
      exclude: ["*.{log,tmp}", "**/node_modules/**", "docs/draft.txt"],
    });
    expect(relIds(await reader.loadData(folder.dir))).toEqual(["keep.txt", "other/docs/draft.txt"]);
  });

  it("rejects an invalid exclude pattern when constructed", () => {
    expect(() => new SimpleDirectoryReader({ exclude: ["*.{log,tmp"] })).toThrow(InvalidArgumentError);
    expect(() => new SimpleDirectoryReader({ exclude: ["*.{log,tmp"] })).toThrow(
      /^Invalid exclude: "\*\.\{log,tmp" is not a valid glob: "\{" is never closed/,
    );
  });
});
