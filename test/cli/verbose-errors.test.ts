import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAIServer, startFakeOpenAI } from "../support/fake-openai/server.js";
import { runCli } from "./run-cli.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
const KEY = "sk-" + "verbose-test-abcdefghijklmnop0123";
let server: FakeOpenAIServer;
let dir: string;
beforeAll(async () => {
  server = await startFakeOpenAI();
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-verbose-"));
  await cp(DATA, path.join(dir, "docs"), { recursive: true });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => server.reset());

/** A line of a stack trace, as V8 prints it. */
const STACK_LINE = /^ {4}at /m;

describe("--verbose prints the stack of an error, and only then", () => {
  it("the model server refusing an ask: one line without --verbose; that line then the stack with it; never the key", async () => {
    // A 401 from the model server (not retried), whose message echoes the key it was sent.
    server.configure({ status: 401, echoKeyInError: true }, "chat");
    const env = { OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: KEY };
    const ask = ["ask", "Where is the office?", "--data", "docs", "--embed", "bm25"];

    const plain = await runCli(ask, { cwd: dir, env });
    expect(plain.code).toBe(1);
    const error = plain.stderr.trim().split("\n").at(-1)!;
    expect(error).toMatch(/^streamdex: .*\(401\)/);
    expect(plain.stderr).not.toMatch(STACK_LINE);
    expect(plain.stderr).not.toContain("Error:");

    const verbose = await runCli([...ask, "--verbose"], { cwd: dir, env });
    expect(verbose.code).toBe(1);
    const lines = verbose.stderr.split("\n");
    const at = lines.indexOf(error);
    expect(at).toBeGreaterThanOrEqual(0);
    // The same one-line message, then the stack: the error's name and message, then its frames.
    expect(lines[at + 1]).toMatch(/^AuthenticationError: .*\(401\)/);
    expect(lines[at + 2]).toMatch(STACK_LINE);
    expect(lines.filter((l) => STACK_LINE.test(l)).length).toBeGreaterThan(2);
    expect(verbose.stderr).toMatch(/ {4}at .*src[\\/]providers[\\/]openai[\\/]/);

    expect(server.requests.filter((r) => r.route === "chat")).toHaveLength(2);
    for (const r of [plain, verbose]) expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it("a usage error too: --verbose adds the stack to the same line and the same exit code", async () => {
    const plain = await runCli(["ask", "q", "--top-k", "zero"], { cwd: dir });
    const verbose = await runCli(["ask", "q", "--top-k", "zero", "--verbose"], { cwd: dir });
    expect([plain.code, verbose.code]).toEqual([2, 2]);
    expect(plain.stderr).not.toMatch(STACK_LINE);
    const line = plain.stderr.trim().split("\n").at(-1)!;
    expect(line).toMatch(/^streamdex: .*top-k/);
    expect(verbose.stderr.split("\n")).toContain(line);
    expect(verbose.stderr).toMatch(STACK_LINE);
  });
});
