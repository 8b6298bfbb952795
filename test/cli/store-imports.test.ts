import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv } from "../support/clean-env.js";
import { IMPORT_TRACKING_PREAMBLE } from "../support/import-tracking.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const src = (path: string) => JSON.stringify(pathToFileURL(join(ROOT, "src", path)).href);

/** The child's preamble: the hooks, `loaded()` (which optional stores' packages were loaded) and `cli(argv)`. */
const PREAMBLE = `${IMPORT_TRACKING_PREAMBLE}
import { Writable } from "node:stream";
async function loaded() {
  await resolvedSoFar();
  const has = (part) => urls.some((u) => u.includes(part));
  return {
    pg: has("/node_modules/pg/") || has("/node_modules/pg-pool/"),
    pglite: has("/node_modules/@electric-sql/pglite"),
    usearch: has("/node_modules/usearch/"),
    modules: urls.length,
  };
}
async function cli(argv) {
  const { main } = await import(${src("cli/main.ts")});
  let stdout = "";
  let stderr = "";
  const sink = (onText) => new Writable({ write(chunk, _e, done) { onText(String(chunk)); done(); } });
  const code = await main(argv, {
    stdout: sink((t) => { stdout += t; }),
    stderr: sink((t) => { stderr += t; }),
    env: {},
    cwd: process.cwd(),
    interrupt: new AbortController().signal,
  });
  return { code, stdout, stderr };
}
const out = {};
`;

let dir: string;

async function child(body: string, env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const file = join(dir, `child-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, `${PREAMBLE}\n${body}\nconsole.log(JSON.stringify(out));\n`);
  const { stdout } = await run(
    process.execPath,
    ["--import", pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href, file],
    {
      cwd: dir,
      env: cleanEnv(env),
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, unknown>;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "streamdex-store-import-"));
  cpSync(join(ROOT, "examples", "data"), join(dir, "docs"), { recursive: true });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the optional stores' packages are loaded only by the store that needs them", () => {
  it("not by importing streamdex, nor by ingest/ask on --store simple; --store ann loads usearch only", async () => {
    const out = await child(`
      await import(${src("index.ts")});
      out.core = await loaded();
      out.ingest = (await cli(["ingest", "docs", "--embed", "hash", "--store", "simple"])).code;
      out.ask = (await cli(["ask", "Who kept the light?", "--embed", "hash"])).code;
      out.simple = await loaded();
      out.ann = (await cli(["ingest", "docs", "--embed", "hash", "--store", "ann", "--persist", "a"])).code;
      out.afterAnn = await loaded();
    `);
    expect(out.core).toMatchObject({ pg: false, pglite: false, usearch: false });
    expect((out.core as { modules: number }).modules).toBeGreaterThan(10); // the detector saw the library load
    expect([out.ingest, out.ask]).toEqual([0, 0]);
    expect(out.simple).toMatchObject({ pg: false, pglite: false, usearch: false });
    expect(out.ann).toBe(0);
    expect(out.afterAnn).toMatchObject({ pg: false, pglite: false, usearch: true }); // the detector works
  }, 60_000);

  it("a store whose package is missing fails in one line (exit 1) before indexing anything", async () => {
    const out = await child(
      `
      const r = await cli(["ingest", "docs", "--embed", "hash", "--store", "ann", "--persist", "b"]);
      out.code = r.code;
      out.error = r.stderr.trim().split("\\n").at(-1);
      out.lines = r.stderr.trim().split("\\n").length;
      out.stdout = r.stdout;
      out.indexed = (await import("node:fs")).existsSync("b");
    `,
      { BLOCK: "usearch" },
    );
    expect(out.code).toBe(1);
    expect(out.error).toBe(
      'streamdex: streamdex --store ann needs the optional package "usearch": run `npm install usearch`.',
    );
    expect(out.lines).toBe(3); // the LLM and store notices, then the error
    expect([out.stdout, out.indexed]).toEqual(["", false]);
  }, 60_000);
});
