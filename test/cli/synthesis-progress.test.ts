// `streamdex ask` and `streamdex chat` with a multi-call response mode: "refining 2/3" on a terminal's stderr, in
// one line that rewrites itself, erased before the answer is written; nothing when stderr is not a terminal.
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { describeProgress, SynthesisProgress } from "../../src/cli/progress.js";
import { EventDispatcher } from "../../src/index.js";
import { runCli } from "./run-cli.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
const CLEAR = "\r\x1b[2K";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-synth-progress-"));
  await cp(DATA, path.join(dir, "docs"), { recursive: true });
  expect((await runCli(["ingest", "docs"], { cwd: dir })).code).toBe(0);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs the command in-process on a terminal (stdout and stderr TTYs); every write in order, by stream. */
async function runOnTerminal(argv: string[], input?: string) {
  const log: { to: "out" | "err"; text: string }[] = [];
  const sink = (to: "out" | "err") =>
    Object.assign(
      new Writable({
        write(chunk, _encoding, callback) {
          log.push({ to, text: String(chunk) });
          callback();
        },
      }),
      { isTTY: true },
    );
  const stdin = input === undefined ? undefined : PassThrough.from([input]);
  const code = await main(argv, {
    stdout: sink("out"),
    stderr: sink("err"),
    stdin,
    cwd: dir,
    env: {},
    interrupt: new AbortController().signal,
  });
  const text = (to: "out" | "err") =>
    log
      .filter((w) => w.to === to)
      .map((w) => w.text)
      .join("");
  return { code, log, stdout: text("out"), stderr: text("err") };
}

/** The progress lines drawn on stderr, and the index (in the log) of the write that erased the last one. */
function progressOf(log: { to: "out" | "err"; text: string }[]) {
  const drawn = log.filter((w) => w.to === "err" && w.text.startsWith(CLEAR) && w.text !== CLEAR);
  const cleared = log.findLastIndex((w) => w.to === "err" && w.text === CLEAR);
  const lastDrawn = log.findLastIndex((w) => w.to === "err" && w.text.startsWith(CLEAR) && w.text !== CLEAR);
  return { lines: drawn.map((w) => w.text.slice(CLEAR.length)), cleared, lastDrawn };
}

describe("synthesis progress in the CLI", () => {
  it("ask --mode refine on a terminal: refining 1/3..3/3 on stderr, erased before the answer", async () => {
    const r = await runOnTerminal([
      "ask",
      "What is the lighthouse and the company and the timeline?",
      "--mode",
      "refine",
      "--top-k",
      "3",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { lines, cleared, lastDrawn } = progressOf(r.log);
    expect(lines).toEqual(["refining 1/3", "refining 2/3", "refining 3/3"]);
    // Erased after the last draw and before anything went to stdout after it.
    const firstOut = r.log.findIndex((w, i) => i > lastDrawn && w.to === "out");
    expect(cleared).toBeGreaterThan(lastDrawn);
    expect(cleared).toBeLessThan(firstOut);
    expect(r.stdout).toContain("Sources:");
    expect(r.stdout).not.toContain("refining");
  });

  it("ask --no-stream erases the line before printing the whole answer", async () => {
    const r = await runOnTerminal([
      "ask",
      "What is the lighthouse and the company and the timeline?",
      "--mode",
      "refine",
      "--top-k",
      "2",
      "--no-stream",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { lines, cleared, lastDrawn } = progressOf(r.log);
    expect(lines).toEqual(["refining 1/2", "refining 2/2"]);
    expect(cleared).toBeGreaterThan(lastDrawn);
    expect(cleared).toBeLessThan(r.log.findIndex((w) => w.to === "out"));
  });

  it("the default compact mode over one pack draws nothing", async () => {
    const r = await runOnTerminal([
      "ask",
      "What is the lighthouse and the company and the timeline?",
      "--top-k",
      "3",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain(CLEAR);
  });

  it("piped (not a terminal): no progress, no escape codes", async () => {
    const r = await runCli(
      ["ask", "What is the lighthouse and the company and the timeline?", "--mode", "refine", "--top-k", "3"],
      {
        cwd: dir,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("refining");
    expect(r.stderr + r.stdout).not.toContain("\x1b[");
  });

  it("chat with condense_question and --mode refine: the progress of each answer, erased before it", async () => {
    const r = await runOnTerminal(
      ["chat", "--chat-mode", "condense_question", "--mode", "refine", "--top-k", "2"],
      "What is the lighthouse and the company and the timeline?\nexit\n",
    );
    expect(r.code, r.stderr).toBe(0);
    const { lines, cleared, lastDrawn } = progressOf(r.log);
    expect(lines).toEqual(["refining 1/2", "refining 2/2"]);
    expect(cleared).toBeGreaterThan(lastDrawn);
    const answerOut = r.log.findIndex((w, i) => i > lastDrawn && w.to === "out");
    expect(cleared).toBeLessThan(answerOut);
  });
});

describe("SynthesisProgress", () => {
  it("rewrites one line per change and erases it; never subscribes off a terminal", () => {
    const events = new EventDispatcher();
    const writes: string[] = [];
    const progress = new SynthesisProgress({ isTTY: true, write: (t: string) => writes.push(t) }, events);
    const base = { type: "synthesize-progress", mode: "tree_summarize", total: 5, level: 1 } as const;
    events.emit({ ...base, step: 1, done: 0, phase: "start", final: false });
    events.emit({ ...base, step: 2, done: 0, phase: "start", final: false }); // same line: not redrawn
    events.emit({ ...base, step: 1, done: 1, phase: "end", final: false });
    progress.detach();
    events.emit({ ...base, step: 2, done: 2, phase: "end", final: false }); // detached: ignored
    progress.clear();
    progress.stop(); // nothing left to erase
    expect(writes).toEqual([`${CLEAR}summarizing level 1 (0/5)`, `${CLEAR}summarizing level 1 (1/5)`, CLEAR]);

    const piped = new EventDispatcher();
    new SynthesisProgress({ isTTY: false, write: () => expect.fail("wrote") }, piped);
    expect(piped.has("synthesize-progress")).toBe(false);
  });

  it("describes refine and compact steps as refining n/total", () => {
    expect(
      describeProgress({
        type: "synthesize-progress",
        mode: "compact",
        step: 2,
        total: 4,
        done: 1,
        phase: "start",
        final: false,
      }),
    ).toBe("refining 2/4");
  });
});
