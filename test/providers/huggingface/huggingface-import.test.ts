import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTinyGpt2 } from "../../fixtures/onnx/make-tiny-gpt2.js";
import { cleanEnv } from "../../support/clean-env.js";
import { IMPORT_TRACKING_PREAMBLE } from "../../support/import-tracking.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../../..");
const src = (path: string) => pathToFileURL(join(ROOT, "src", path)).href;

/** The child's preamble: the hooks and `loaded()`, what has been loaded so far. */
const PREAMBLE = `${IMPORT_TRACKING_PREAMBLE}
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
async function loaded() {
  await resolvedSoFar();
  return {
    transformers: urls.some((u) => u.includes("/@huggingface/transformers/")),
    eventsourceParser: urls.some((u) => u.includes("/eventsource-parser/")),
    yauzl: urls.some((u) => u.includes("/yauzl/")),
    onnxruntime: Object.keys(require.cache).some((p) => p.includes("onnxruntime-node"))
      || process.report.getReport().sharedObjects.some((p) => p.includes("onnxruntime")),
    modules: urls.length,
  };
}
const out = {};
`;

let dir: string;
let model: string;

async function child(body: string, env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const file = join(dir, `child-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, `${PREAMBLE}\n${body}\nconsole.log(JSON.stringify(out));\n`);
  const { stdout } = await run(process.execPath, ["--import", "tsx", file], {
    cwd: ROOT,
    env: cleanEnv(env),
    timeout: 30_000,
  });
  return JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, unknown>;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "streamdex-hf-import-"));
  model = ensureTinyGpt2();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("@huggingface/transformers is loaded only when a model is first used", () => {
  it("not by importing streamdex, nor streamdex/huggingface, nor constructing a model; then by loading it", async () => {
    const out = await child(`
      await import(${JSON.stringify(src("index.ts"))});
      out.core = await loaded();
      const { HuggingFaceLLM } = await import(${JSON.stringify(src("providers/huggingface/index.ts"))});
      out.subpath = await loaded();
      const llm = new HuggingFaceLLM({ model: ${JSON.stringify(model)} });
      out.constructed = await loaded();
      await llm.load();
      out.used = await loaded();
      await llm.dispose();
    `);
    // The core loads neither the event-stream parser (TGI's streams only) nor the zip reader (a DOCX's first read).
    expect(out.core).toMatchObject({
      transformers: false,
      onnxruntime: false,
      eventsourceParser: false,
      yauzl: false,
    });
    expect((out.core as { modules: number }).modules).toBeGreaterThan(10); // the detector saw the library load
    expect(out.subpath).toMatchObject({ transformers: false, onnxruntime: false, eventsourceParser: true });
    expect(out.constructed).toMatchObject({ transformers: false, onnxruntime: false });
    expect(out.used).toMatchObject({ transformers: true, onnxruntime: true }); // the detector works
  });

  it("without the package installed, the first call fails with a one-line MissingDependencyError", async () => {
    const out = await child(
      `
      const { HuggingFaceLLM } = await import(${JSON.stringify(src("providers/huggingface/index.ts"))});
      const llm = new HuggingFaceLLM({ model: ${JSON.stringify(model)} });
      const error = await llm.complete("hello").catch((e) => e);
      out.name = error.name;
      out.message = error.message;
      out.packageName = error.packageName;
    `,
      { BLOCK: "@huggingface/transformers" },
    );
    expect(out.name).toBe("MissingDependencyError");
    expect(out.packageName).toBe("@huggingface/transformers");
    expect(out.message).toContain("npm install @huggingface/transformers");
    expect(out.message).not.toContain("\n");
  });
});
