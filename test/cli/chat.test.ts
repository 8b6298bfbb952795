import { spawn } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { INTERRUPTED_NOTE } from "../../src/memory/chat-turn.js";
import { cleanEnv } from "../support/clean-env.js";
import { type FakeOpenAIServer, startFakeOpenAI } from "../support/fake-openai/server.js";
import { runCli } from "./run-cli.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
let server: FakeOpenAIServer;
let dir: string;
beforeAll(async () => {
  server = await startFakeOpenAI();
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-chat-"));
  await cp(path.join(ROOT, "examples", "data"), path.join(dir, "docs"), { recursive: true });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

type Message = { role: string; content: string };
const chatRequests = () => server.requests.filter((r) => r.route === "chat");

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("streamdex chat (spawned, stdin piped, against the loopback OpenAI server)", () => {
  it("Ctrl-C stops the answer, not the program; the next question is answered with memory; EOF exits 0", async () => {
    server.configure({ tokens: Array(500).fill(" word"), tokenDelayMs: 20 }, "chat");
    const child = spawn(TSX, [path.join(ROOT, "src", "cli", "bin.ts"), "chat", "--data", "docs"], {
      cwd: dir,
      env: cleanEnv({ OPENAI_BASE_URL: server.baseURL }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += String(d);
    });
    child.stderr.on("data", (d) => {
      err += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const fail = (e: unknown) => {
      throw new Error(`${String(e)}\nstdout: ${out}\nstderr: ${err}`);
    };

    await until(() => out.includes("> "), "the prompt").catch(fail);
    child.stdin.write("What did the author do growing up?\n");
    await until(() => chatRequests().some((r) => r.streamed && r.tokensSent >= 3), "streaming").catch(fail);
    child.kill("SIGINT");
    const first = chatRequests()[0]!;
    await server.waitFor(() => first.clientAborted);
    expect(first.tokensSent).toBeLessThan(500);
    await until(() => /\[stopped\]\n> $/.test(out), "the answer to stop and the prompt to return").catch(
      fail,
    );
    expect(child.exitCode).toBeNull();

    server.configure({ tokens: ["The", " second", " answer."] }, "chat");
    child.stdin.write("And after that?\n");
    await until(() => out.includes("The second answer.\nSources: "), "the second answer").catch(fail);
    child.stdin.end();
    expect(await exited).toBe(0);

    // Follow-up: one non-streamed condense call, then the streamed answer; both see the interrupted turn.
    const [, condense, answer] = chatRequests();
    expect(condense!.streamed).toBe(false);
    expect(answer!.streamed).toBe(true);
    const messages = (answer!.body as { messages: Message[] }).messages;
    expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(messages[1]!.content).toBe("What did the author do growing up?");
    expect(messages[2]!.content).toMatch(new RegExp(`^( word)+\\n\\n${escapeRegExp(INTERRUPTED_NOTE)}$`));
    expect(messages[3]!.content).toBe("And after that?");
    expect(out).toContain(" word word");
    expect(err).toContain("Chat mode: condense_plus_context");
  }, 60_000);
});

describe("streamdex chat (in-process)", () => {
  function start(args: string[]) {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let out = "";
    stdout.on("data", (d) => {
      out += String(d);
    });
    let handler: (() => void) | undefined;
    const running = main(["chat", ...args], {
      stdin,
      stdout,
      stderr: new PassThrough(),
      env: {},
      cwd: dir,
      interrupt: new AbortController().signal,
      onInterrupt: (h) => {
        handler = h;
        return () => {
          handler = undefined;
        };
      },
    });
    return { stdin, running, out: () => out, ctrlC: () => handler?.() };
  }

  it("answers offline with the extractive answerer, then leaves on Ctrl-C at the prompt", async () => {
    const s = start(["--data", "docs", "--persist", ".offline"]);
    await until(() => s.out().includes("> "), "the prompt");
    s.stdin.write("Where is the office?\n");
    await until(() => /Sources: .*\n> $/.test(s.out()), "the answer");
    expect(s.out()).toMatch(/Port Sorel/);
    s.ctrlC();
    expect(await s.running).toBe(0);
  });

  it('"exit" leaves', async () => {
    const s = start(["--data", "docs", "--persist", ".offline", "--chat-mode", "simple"]);
    s.stdin.write("exit\n");
    expect(await s.running).toBe(0);
    expect(s.out()).toContain("Chatting (simple)");
  });

  it("bad usage exits 2", async () => {
    expect((await runCli(["chat", "--chat-mode", "best"], { cwd: dir })).code).toBe(2);
    const r = await runCli(["chat", "hello"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/chat takes no arguments/);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
