import { cp, mkdtemp, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-cli-"));
  await cp(DATA, path.join(dir, "docs"), { recursive: true });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("streamdex ingest", () => {
  it("indexes a folder on embedded defaults, announcing each default in one line", async () => {
    const r = await runCli(["ingest", "docs"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^LLM: none configured.*extractive/m);
    expect(r.stderr).toMatch(/^Retrieval: no embedding model reachable, so BM25/m);
    expect(r.stdout).toMatch(/5 files: 5 new, 0 changed, 0 removed, 0 unchanged; \d+ new chunks/);
    expect((await stat(path.join(dir, ".streamdex", "streamdex-cli.json"))).isFile()).toBe(true);
  });

  it("is incremental: unchanged files are not re-read, changed ones are, removed ones leave", async () => {
    await runCli(["ingest", "docs", "--embed", "hash"], { cwd: dir });
    let r = await runCli(["ingest", "docs", "--embed", "hash"], { cwd: dir });
    expect(r.stdout).toMatch(/5 files: 0 new, 0 changed, 0 removed, 5 unchanged; 0 new chunks/);
    // Touched but identical: still unchanged (content hash), nothing re-embedded.
    const lighthouse = path.join(dir, "docs", "lighthouse.txt");
    const later = new Date(Date.now() + 5_000);
    await utimes(lighthouse, later, later);
    r = await runCli(["ingest", "docs", "--embed", "hash"], { cwd: dir });
    expect(r.stdout).toMatch(/0 new, 0 changed, 0 removed, 5 unchanged; 0 new chunks/);
    await writeFile(lighthouse, "The keeper polished the great lens every morning at dawn.");
    await rm(path.join(dir, "docs", "timeline.json"));
    r = await runCli(["ingest", "docs", "--embed", "hash"], { cwd: dir });
    expect(r.stdout).toMatch(/4 files: 0 new, 1 changed, 1 removed, 3 unchanged; 1 new chunks/);
    const a = await runCli(
      ["ask", "what did the keeper polish?", "--embed", "hash", "--top-k", "1", "--json"],
      { cwd: dir },
    );
    expect(JSON.parse(a.stdout).sources[0].file).toBe(lighthouse);
  });

  it("refuses an index built with another retrieval model, and --rebuild starts over", async () => {
    await runCli(["ingest", "docs"], { cwd: dir });
    const r = await runCli(["ingest", "docs", "--embed", "hash"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/built with "bm25".*--rebuild/);
    expect((await runCli(["ingest", "docs", "--embed", "hash", "--rebuild"], { cwd: dir })).code).toBe(0);
  });

  it("gives clear errors for missing paths, empty folders and an incompatible index", async () => {
    let r = await runCli(["ingest", "nope"], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^streamdex: .*nope.*/m);
    expect(r.stderr.trim().split("\n")).toHaveLength(3); // two model notices + one error line, no stack
    await (await import("node:fs/promises")).mkdir(path.join(dir, "empty"));
    r = await runCli(["ingest", "empty", "--persist", "idx2"], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no readable documents/);
    await runCli(["ingest", "docs"], { cwd: dir });
    const manifest = path.join(dir, ".streamdex", "streamdex-cli.json");
    await writeFile(manifest, (await readFile(manifest, "utf8")).replace('"format": 1', '"format": 99'));
    r = await runCli(["ask", "anything"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/incompatible streamdex \(format 99/);
  });
});

describe("streamdex ask", () => {
  it("streams an extractive answer, then lists sources with file, score and first words", async () => {
    const r = await runCli(["ask", "What did the author do growing up?", "--data", "docs"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/growing up/i);
    expect(r.stdout).toMatch(/Sources:\n {2}1\. memoir\.md {2}\(score \d+\.\d{3}\) {2}"/);
  });

  it("--json prints one object; --no-stream prints the whole answer", async () => {
    await runCli(["ingest", "docs"], { cwd: dir });
    const j = await runCli(["ask", "Where is the office?", "--json", "--top-k", "1"], { cwd: dir });
    const obj = JSON.parse(j.stdout) as { answer: string; sources: unknown[]; retrieval: string };
    expect(obj.sources).toHaveLength(1);
    expect(obj.retrieval).toBe("bm25");
    const n = await runCli(["ask", "Where is the office?", "--no-stream"], { cwd: dir });
    expect(n.code).toBe(0);
    expect(n.stdout).toContain("Sources:");
  });

  it("bad usage is exit 2 with one line: unknown flag, mode, top-k, model, command", async () => {
    for (const argv of [
      ["ask", "q", "--frobnicate"],
      ["ask", "q", "--mode", "fast"],
      ["ask", "q", "--top-k", "0"],
      ["ask", "q", "--llm", "huggingface:/models/x"],
      ["ask", "q", "--llm", "llamacpp:/models/missing.gguf"],
      ["ask", "q", "--llm", "openai:gpt-4o"],
      ["ask"],
      ["dance"],
    ]) {
      const r = await runCli(argv, { cwd: dir });
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n").at(-1)).toMatch(/^streamdex: /);
    }
    const hf = await runCli(["ask", "q", "--llm", "huggingface:/models/x"], { cwd: dir });
    expect(hf.stderr).toMatch(/no model directory at \/models\/x/);
    const gguf = await runCli(["ask", "q", "--llm", "llamacpp:/models/missing.gguf"], { cwd: dir });
    expect(gguf.stderr).toMatch(/\/models\/missing\.gguf/);
  });

  it("says how to start when nothing is indexed (exit 3)", async () => {
    const r = await runCli(["ask", "anything"], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/streamdex ingest <folder>/);
  });

  it("has helpful --help for every command", async () => {
    expect((await runCli(["--help"], { cwd: dir })).stdout).toMatch(/Exit codes/);
    for (const c of ["ingest", "ask", "serve"]) {
      const r = await runCli([c, "--help"], { cwd: dir });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: streamdex ${c}`));
    }
  });
});

describe("--embed hash is offered as what it is", () => {
  it("--help, an unknown model and the store error say it is not semantic, and name a real offline model", async () => {
    const caveat = /hash \(a hashed bag of words: not semantic[^)]*\)/;
    const offline =
      /huggingface:<model dir>.*llamacpp:<file\.gguf>|llamacpp:<file\.gguf>.*huggingface:<model dir>/s;
    const help = (await runCli(["--help"], { cwd: dir })).stdout;
    expect(help).toMatch(caveat);
    const unknown = await runCli(["ask", "q", "--embed", "nope"], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(caveat);
    expect(unknown.stderr).toMatch(offline);
    for (const store of ["ann"]) {
      const r = await runCli(["ingest", "docs", "--store", store], { cwd: dir });
      expect(r.code).toBe(2);
      const error = r.stderr.trim().split("\n").at(-1)!;
      expect(error).toMatch(/^streamdex: --store .* keeps embeddings, but retrieval is BM25/);
      expect(error).toMatch(caveat);
      expect(error).toMatch(/real offline model: huggingface:<model dir> or llamacpp:<file\.gguf>/);
    }
  });
});

describe("streamdex ask with an in-process llama.cpp model", () => {
  it("streams the tiny GGUF's answer through the same path", async () => {
    const { ensureTinyGguf } = await import("../fixtures/make-tiny-gguf.js");
    const r = await runCli(
      [
        "ask",
        "What did the author do growing up?",
        "--data",
        "docs",
        "--llm",
        `llamacpp:${ensureTinyGguf()}`,
      ],
      {
        cwd: dir,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Sources:\n {2}1\. memoir\.md/);
    expect(r.stdout.split("Sources:")[0]!.trim().length).toBeGreaterThan(0);
  }, 60_000);
});

describe("streamdex --embed with an offline model, ingest then ask", () => {
  // Small chunks fit the tiny models' contexts (128 positions for the BERT, 512 tokens for the GGUF).
  const CHUNKS = ["--chunk-size", "64", "--chunk-overlap", "0"];
  async function ingestThenAsk(embed: string): Promise<void> {
    const ingest = await runCli(["ingest", "docs", "--embed", embed, ...CHUNKS], { cwd: dir });
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(ingest.stdout).toMatch(/5 files: 5 new.*\((huggingface|llamacpp):/);
    const ask = await runCli(["ask", "What did the author do growing up?", "--embed", embed], { cwd: dir });
    expect(ask.code, ask.stderr).toBe(0);
    expect(ask.stdout).toMatch(/Sources:\n {2}1\. \S+\.(md|txt|html|json) {2}\(score -?\d/);
  }

  // One model load per test (ingest and ask share it), but llama.cpp on a busy 2-core machine is slow: a
  // generous timeout instead of the 20 s default.
  it("--embed llamacpp:<file.gguf> embeds with the GGUF in-process", async () => {
    const { ensureTinyGguf } = await import("../fixtures/make-tiny-gguf.js");
    await ingestThenAsk(`llamacpp:${ensureTinyGguf()}`);
  }, 120_000);

  it("--embed huggingface:<model dir> embeds with the ONNX model in-process", async () => {
    const { ensureTinyBert } = await import("../fixtures/onnx/make-tiny-bert.js");
    await ingestThenAsk(`huggingface:${ensureTinyBert()}`);
  }, 120_000);
});
