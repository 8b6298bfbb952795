// `streamdex ask --citations`: the answer streams with its [n] markers, then a "Sources" list numbered the same
// way (file, lines when the file's text holds the source, first words; "not cited" ones marked), a cited number
// with no source flagged; --json carries citations and numbered sources. Over examples/data, with the offline
// extractive answerer (in-process and spawned with a clean environment) and a scripted model behind the
// loopback OpenAI server.
import { spawn } from "node:child_process";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { cleanEnv } from "../support/clean-env.js";
import { type FakeOpenAIServer, startFakeOpenAI } from "../support/fake-openai/server.js";
import { runCli } from "./run-cli.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DATA = path.join(ROOT, "examples", "data");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const DIM = "\x1b[2m";

let server: FakeOpenAIServer;
let dir: string;
let env: Record<string, string>;
beforeAll(async () => {
  server = await startFakeOpenAI();
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-ask-citations-"));
  await cp(DATA, path.join(dir, "docs"), { recursive: true });
  env = { OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: "sk-test" };
  expect((await runCli(["ingest", "docs"], { cwd: dir })).code).toBe(0); // BM25: no embedding model
});
afterEach(() => server.reset());
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the command in-process, keeping every write to stdout apart (to see what streamed, chunk by chunk). */
async function run(argv: string[], options: { env?: Record<string, string>; tty?: boolean } = {}) {
  const stdout = Object.assign(new PassThrough(), options.tty ? { isTTY: true } : {});
  const stderr = new PassThrough();
  const writes: string[] = [];
  let err = "";
  stdout.on("data", (d) => writes.push(String(d)));
  stderr.on("data", (d) => {
    err += String(d);
  });
  const code = await main(argv, {
    stdout,
    stderr,
    cwd: dir,
    env: options.env ?? {},
    interrupt: new AbortController().signal,
  });
  return { code, writes, stdout: writes.join(""), stderr: err };
}

/** The "Sources" list's lines (after the answer). */
const sourceLines = (stdout: string) => stdout.split("\nSources:\n")[1]!.trimEnd().split("\n");
const chatRequests = () => server.requests.filter((r) => r.route === "chat");
/** The scripted model's answer: markers split over chunks, and one number (42) that no source has. */
const SCRIPT = [
  "The office is in Port Sorel",
  " [",
  "1",
  "]",
  ". Visitors call ahead [1, 2]",
  ". Bogus [42].",
];
const OPENAI = ["--llm", "openai:gpt-4o-mini", "--embed", "bm25", "--top-k", "1"];

describe("ask --citations with a scripted model", () => {
  it("streams the answer with its markers as the model sent them, then lists the sources by number", async () => {
    server.configure({ tokens: SCRIPT }, "chat");
    const r = await run(["ask", "Where is the office?", "--citations", ...OPENAI], { env });
    expect(r.code, r.stderr).toBe(0);
    // The markers stay in the text, and the text streams one write per model chunk.
    expect(r.writes.slice(0, SCRIPT.length)).toEqual(SCRIPT);
    expect(r.stdout.startsWith(`${SCRIPT.join("")}\n\nSources:\n`)).toBe(true);
    // The prompt is a citation prompt: numbered sources.
    const prompt = JSON.stringify(chatRequests()[0]!.body);
    expect(prompt).toContain("Source 1:");
    expect(prompt).toMatch(/square brackets/);

    const lines = sourceLines(r.stdout);
    expect(lines[0]).toMatch(/^ {2}\[1\] company-faq\.html — Slipway Software: Frequently Asked Questions/);
    expect(lines[0]).not.toContain("not cited");
    // The number with no source is flagged, after the numbered sources.
    expect(lines.at(-1)).toBe("  [42] (no such source: cited but not retrieved)");
    const numbers = lines.map((l) => Number(/^ {2}\[(\d+)\]/.exec(l)?.[1]));
    expect(numbers.slice(0, -1)).toEqual(numbers.slice(0, -1).map((_, i) => i + 1));
  });

  it("--no-stream: the same answer and Sources list", async () => {
    server.configure({ tokens: SCRIPT }, "chat");
    const r = await run(["ask", "Where is the office?", "--citations", "--no-stream", ...OPENAI], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith(`${SCRIPT.join("")}\n\nSources:\n  [1] company-faq.html`)).toBe(true);
    expect(r.stdout).toContain("  [42] (no such source: cited but not retrieved)");
  });

  it("--json: citations (offsets in the answer, null for no source) and numbered sources", async () => {
    server.configure({ tokens: SCRIPT }, "chat");
    const r = await run(["ask", "Where is the office?", "--citations", "--json", ...OPENAI], { env });
    expect(r.code, r.stderr).toBe(0);
    const obj = JSON.parse(r.stdout) as {
      answer: string;
      citations: { marker: number; nodeId: string | null; start: number; end: number }[];
      sources: {
        number: number;
        file: string;
        cited: boolean;
        lines: unknown;
        page: unknown;
        text: string;
      }[];
    };
    expect(obj.answer).toBe(SCRIPT.join(""));
    expect(obj.citations.map((c) => [c.marker, obj.answer.slice(c.start, c.end)])).toEqual([
      [1, "[1]"],
      [1, "[1, 2]"],
      [2, "[1, 2]"],
      [42, "[42]"],
    ]);
    expect(obj.citations[0]!.nodeId).toEqual(expect.any(String));
    expect(obj.citations[3]!.nodeId).toBeNull();
    expect(obj.sources.map((s) => s.number)).toEqual(obj.sources.map((_, i) => i + 1));
    expect(obj.sources[0]).toMatchObject({ number: 1, cited: true, page: null, lines: null });
    expect(obj.sources[0]!.file).toBe(path.join(dir, "docs", "company-faq.html"));
    expect(obj.sources.slice(2).every((s) => !s.cited)).toBe(true);

    // Without --citations the JSON is as before: no citations, sources unnumbered.
    server.configure({ tokens: ["Plain."] }, "chat");
    const plain = JSON.parse(
      (await run(["ask", "Where is the office?", "--json", ...OPENAI], { env })).stdout,
    );
    expect(plain).not.toHaveProperty("citations");
    expect(plain.sources[0]).not.toHaveProperty("number");
  });
});

describe("ask --citations with the extractive answerer (no model, no key)", () => {
  it("each quoted sentence is followed by its source's number; the Sources list gives its file lines", async () => {
    const r = await run(["ask", "What did Hester do in 1903?", "--citations", "--top-k", "2"]);
    expect(r.code, r.stderr).toBe(0);
    const answer = r.stdout.split("\n\nSources:\n")[0]!;
    const sentence =
      "In 1903 Hester rowed out alone to rescue four men from a capsized coal barge and was awarded a silver " +
      "medal, which she kept in a drawer and never wore.";
    const marker = new RegExp(`${sentence.replace(/[.,]/g, "\\$&")} \\[(\\d+)\\]`).exec(answer);
    expect(marker, answer).not.toBeNull();
    // Streamed word by word: the marker is one write of its own.
    expect(r.writes).toContain(` [${marker![1]}]`);
    const line = sourceLines(r.stdout).find((l) => l.startsWith(`  [${marker![1]}] `))!;
    const where = /^ {2}\[\d+\] lighthouse\.txt \(lines (\d+)-(\d+)\) — \S/.exec(line);
    expect(where, line).not.toBeNull();
    // The line range is right: those lines of the file hold the quoted sentence.
    const file = (await readFile(path.join(dir, "docs", "lighthouse.txt"), "utf8")).split("\n");
    expect(file.slice(Number(where![1]) - 1, Number(where![2])).join("\n")).toContain(sentence);
    expect(r.stdout).not.toContain("\x1b[");
  });

  it("sources never cited are marked, and dimmed on a colour terminal (NO_COLOR: plain)", async () => {
    const question = ["ask", "Where is the office?", "--citations", "--top-k", "3"];
    const piped = sourceLines((await run(question)).stdout);
    expect(piped[0]).toMatch(/^ {2}\[1\] company-faq\.html — Slipway Software/);
    expect(piped.slice(1).length).toBeGreaterThan(0);
    for (const l of piped.slice(1)) expect(l).toMatch(/^ {2}\[\d\] \S+ .*\(not cited\)$/);

    const tty = sourceLines((await run(question, { tty: true })).stdout);
    expect(tty[0]).not.toContain(DIM);
    for (const l of tty.slice(1)) expect(l.startsWith(DIM) && l.endsWith("(not cited)\x1b[22m")).toBe(true);
    const noColor = await run(question, { tty: true, env: { NO_COLOR: "1" } });
    expect(noColor.stdout).not.toContain("\x1b[");
  });

  it("spawned (bin.ts, clean environment): streams the cited answer and the Sources list", async () => {
    const child = spawn(
      TSX,
      [path.join(ROOT, "src", "cli", "bin.ts"), "ask", "Where is the office?", "--citations", "--top-k", "1"],
      { cwd: dir, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += String(d);
    });
    child.stderr.on("data", (d) => {
      err += String(d);
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(code, err).toBe(0);
    expect(out).toContain(
      "Since 2015 our office has been in Port Sorel, in a converted net loft above the harbour. [1]",
    );
    expect(out).toMatch(/\n\nSources:\n {2}\[1\] company-faq\.html — /);
    expect(err).toMatch(/extractive/);
  }, 60_000);

  it("the help documents --citations", async () => {
    const r = await runCli(["ask", "--help"], { cwd: dir });
    expect(r.stdout).toMatch(/--citations +cite the sources/);
  });
});
