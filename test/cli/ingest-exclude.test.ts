// `streamdex ingest --exclude <glob>`: braces work, the list is kept with the index for later refreshes, and a bad
// pattern is a usage error (exit 2) before anything is opened.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-cli-exclude-"));
  await mkdir(path.join(dir, "docs", "sub"), { recursive: true });
  const files: Record<string, string> = {
    "keep.txt": "The lighthouse keeper polished the lens at dawn.",
    "data.csv": "part,state\nlens,polished",
    "meta.json": '{ "note": "A note about the lens." }',
    "sub/old.csv": "year,event\n1901,storm",
    "sub/notes.md": "The keeper wrote notes about storms.",
  };
  for (const [rel, text] of Object.entries(files)) await writeFile(path.join(dir, "docs", rel), text);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const indexed = async () =>
  Object.keys(
    (
      JSON.parse(await readFile(path.join(dir, ".streamdex", "streamdex-cli.json"), "utf8")) as {
        files: object;
      }
    ).files,
  )
    .map((f) => path.relative(path.join(dir, "docs"), f))
    .sort();

describe("streamdex ingest --exclude", () => {
  it('leaves out "*.{csv,json}" at any depth, and later refreshes keep leaving them out', async () => {
    let r = await runCli(["ingest", "docs", "--embed", "hash", "--exclude", "*.{csv,json}"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^2 files: 2 new/);
    expect(await indexed()).toEqual(["keep.txt", "sub/notes.md"]);

    // A refresh (ask re-scans the roots) and a new file matching the kept list: still left out.
    await writeFile(path.join(dir, "docs", "sub", "new.json"), '{ "fresh": "text about the lens" }');
    r = await runCli(["ask", "what did the keeper polish?", "--embed", "hash", "--json"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(await indexed()).toEqual(["keep.txt", "sub/notes.md"]);

    // Given again, the new list replaces the kept one: the .csv files come in, the .json ones stay out.
    r = await runCli(["ingest", "docs", "--embed", "hash", "--exclude", "*.json"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(await indexed()).toEqual(["data.csv", "keep.txt", "sub/notes.md", "sub/old.csv"]);

    // Excluding what is indexed removes it.
    r = await runCli(["ingest", "docs", "--embed", "hash", "--exclude", "sub/**", "--exclude", "*.json"], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 removed/);
    expect(await indexed()).toEqual(["data.csv", "keep.txt"]);
  });

  it("an invalid pattern is exit 2 with one line naming it and the fix, and no index is created", async () => {
    const r = await runCli(["ingest", "docs", "--embed", "hash", "--exclude", "*.{log,tmp"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^streamdex: Invalid --exclude: "\*\.\{log,tmp" is not a valid glob: "\{" is never closed/,
      ),
    ]);
    await expect(stat(path.join(dir, ".streamdex"))).rejects.toThrow();
  });
});
