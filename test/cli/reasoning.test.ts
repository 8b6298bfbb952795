// A reasoning model behind the loopback OpenAI server, seen through `streamdex ask` and `streamdex chat`: the
// reasoning dimmed above the answer on a terminal, absent from a piped stdout, in --json, never in chat memory.
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { type FakeOpenAIServer, startFakeOpenAI } from "../support/fake-openai/server.js";
import { runCli } from "./run-cli.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
const DIM = "\x1b[2m";
const UNDIM = "\x1b[22m";
const THINK = ["Let", " me", " think."];
const ANSWER = ["Par", "is."];
const dim = (pieces: string[]) => pieces.map((p) => `${DIM}${p}${UNDIM}`).join("");

let server: FakeOpenAIServer;
let dir: string;
let env: Record<string, string>;
beforeAll(async () => {
  server = await startFakeOpenAI();
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-reasoning-"));
  await cp(DATA, path.join(dir, "docs"), { recursive: true });
  env = { OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: "sk-test" };
  expect((await runCli(["ingest", "docs"], { cwd: dir, env })).code).toBe(0);
});
afterEach(() => server.reset());
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const chatRequests = () => server.requests.filter((r) => r.route === "chat");

/** Runs the command in-process with a stdout that says it is a terminal. */
async function runOnTerminal(argv: string[], extraEnv: Record<string, string> = {}) {
  const stdout = Object.assign(new PassThrough(), { isTTY: true });
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => {
    out += String(d);
  });
  stderr.on("data", (d) => {
    err += String(d);
  });
  const code = await main(argv, {
    stdout,
    stderr,
    cwd: dir,
    env: { ...env, ...extraEnv },
    interrupt: new AbortController().signal,
  });
  return { code, stdout: out, stderr: err };
}

describe("streamdex ask with a reasoning model", () => {
  it("on a terminal: the reasoning dimmed, then a blank line, then the answer and its sources", async () => {
    server.configure({ tokens: ANSWER, reasoningTokens: THINK }, "chat");
    const r = await runOnTerminal(["ask", "What is the capital?"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith(`${dim(THINK)}\n\nParis.\n\nSources:\n`)).toBe(true);
    expect(r.stdout.split("Sources:")[1]).not.toContain(DIM);
  });

  it("piped: stdout holds only the answer, stderr no reasoning either; --reasoning adds it as plain text", async () => {
    server.configure({ tokens: ANSWER, reasoningTokens: THINK }, "chat");
    const piped = await runCli(["ask", "What is the capital?"], { cwd: dir, env });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout.startsWith("Paris.\n\nSources:\n")).toBe(true);
    expect(piped.stdout + piped.stderr).not.toContain("think");

    const asked = await runCli(["ask", "What is the capital?", "--reasoning"], { cwd: dir, env });
    expect(asked.stdout.startsWith("Let me think.\n\nParis.\n\nSources:\n")).toBe(true);
    expect(asked.stdout).not.toContain("\x1b[");
  });

  it("--no-reasoning hides it on a terminal; NO_COLOR keeps it without escape codes", async () => {
    server.configure({ tokens: ANSWER, reasoningTokens: THINK }, "chat");
    const hidden = await runOnTerminal(["ask", "What is the capital?", "--no-reasoning"]);
    expect(hidden.stdout.startsWith("Paris.\n\nSources:\n")).toBe(true);
    expect(hidden.stdout).not.toContain("think");

    const plain = await runOnTerminal(["ask", "What is the capital?"], { NO_COLOR: "1" });
    expect(plain.stdout.startsWith("Let me think.\n\nParis.\n\nSources:\n")).toBe(true);

    const both = await runCli(["ask", "q", "--reasoning", "--no-reasoning"], { cwd: dir, env });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--reasoning and --no-reasoning/);
  });

  it("reasoning that resumes after the answer began is shown where it came, set off by blank lines", async () => {
    server.configure({ tokens: ANSWER, reasoningTokens: ["Hmm."], reasoningAfterTokens: 1 }, "chat");
    const r = await runOnTerminal(["ask", "What is the capital?"]);
    expect(r.stdout.startsWith(`Par\n\n${DIM}Hmm.${UNDIM}\n\nis.\n\nSources:`)).toBe(true);
  });

  it("a blank line, not three, when the reasoning ends and the answer starts with newlines", async () => {
    server.configure({ tokens: ["\n\n", "Paris."], reasoningTokens: ["Done thinking.\n"] }, "chat");
    const r = await runOnTerminal(["ask", "What is the capital?"]);
    expect(r.stdout.startsWith(`${DIM}Done thinking.\n${UNDIM}\nParis.\n`)).toBe(true);
  });

  it("--json carries the reasoning and usage.reasoningTokens; --no-reasoning leaves the field out", async () => {
    server.configure({ tokens: ANSWER, reasoningTokens: THINK }, "chat");
    const r = await runCli(["ask", "What is the capital?", "--json"], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const obj = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(obj).toMatchObject({
      answer: "Paris.",
      reasoning: "Let me think.",
      usage: { reasoningTokens: THINK.length, completionTokens: THINK.length + ANSWER.length },
    });
    const without = await runCli(["ask", "What is the capital?", "--json", "--no-reasoning"], {
      cwd: dir,
      env,
    });
    const obj2 = JSON.parse(without.stdout) as Record<string, unknown>;
    expect(obj2.answer).toBe("Paris.");
    expect(obj2).not.toHaveProperty("reasoning");
    // A model without reasoning: the field is there, empty.
    server.configure({ tokens: ANSWER }, "chat");
    const none = JSON.parse((await runCli(["ask", "q", "--json"], { cwd: dir, env })).stdout);
    expect(none.reasoning).toBe("");
  });

  it("--no-stream prints the whole reasoning dimmed above the whole answer", async () => {
    server.configure({ tokens: ANSWER, reasoningTokens: THINK }, "chat");
    const r = await runOnTerminal(["ask", "What is the capital?", "--no-stream"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith(`${DIM}Let me think.${UNDIM}\n\nParis.\n\nSources:`)).toBe(true);
  });

  it("Ctrl-C while the model reasons aborts the provider request (exit 130)", async () => {
    server.configure({ tokens: ANSWER, reasoningTokens: Array(300).fill(" hmm"), tokenDelayMs: 10 }, "chat");
    const interrupt = new AbortController();
    const running = runCli(["ask", "What is the capital?", "--reasoning"], {
      cwd: dir,
      env,
      interrupt: interrupt.signal,
    });
    await server.waitFor(() => (chatRequests()[0]?.reasoningSent ?? 0) >= 3);
    interrupt.abort();
    const r = await running;
    expect(r.code).toBe(130);
    await server.waitFor(() => chatRequests()[0]!.clientAborted);
    expect(chatRequests()[0]!.reasoningSent).toBeLessThan(300);
    expect(chatRequests()[0]!.tokensSent).toBe(0);
  });
});

describe("streamdex chat with a reasoning model", () => {
  it("shows each answer's reasoning dimmed, and the next request's messages hold no reasoning", async () => {
    server.configure({ tokens: ["The", " lighthouse."], reasoningTokens: ["SECRET", " THOUGHT"] }, "chat");
    const stdin = new PassThrough();
    const stdout = Object.assign(new PassThrough(), { isTTY: true });
    let out = "";
    stdout.on("data", (d) => {
      out += String(d);
    });
    const running = main(["chat"], {
      stdin,
      stdout,
      stderr: new PassThrough(),
      env,
      cwd: dir,
      interrupt: new AbortController().signal,
    });
    const until = async (check: () => boolean) => {
      const end = Date.now() + 20_000;
      while (!check()) {
        if (Date.now() > end) throw new Error(`timed out; stdout: ${JSON.stringify(out)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await until(() => out.includes("> "));
    stdin.write("Where did the keeper live?\n");
    await until(() => /Sources: .*\n> $/.test(out));
    expect(out).toContain(`${dim(["SECRET", " THOUGHT"])}\n\nThe lighthouse.\nSources: `);

    stdin.write("And after that?\n");
    await until(() => (out.match(/Sources: /g) ?? []).length === 2 && out.endsWith("> "));
    stdin.end();
    expect(await running).toBe(0);

    const [first, ...later] = chatRequests();
    expect(first!.streamed).toBe(true);
    expect(later.length).toBeGreaterThanOrEqual(1); // condense_plus_context: a condense call, then the answer
    for (const request of later) {
      const { messages } = request.body as { messages: { role: string; content: string }[] };
      expect(JSON.stringify(messages)).toContain("The lighthouse."); // the earlier answer is remembered
      expect(JSON.stringify(messages)).not.toMatch(/SECRET|THOUGHT/); // its reasoning is not
    }
  });
});
