import { spawn } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv } from "../support/clean-env.js";
import { type FakeOpenAIServer, startFakeOpenAI } from "../support/fake-openai/server.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
let server: FakeOpenAIServer;
let dir: string;
beforeAll(async () => {
  server = await startFakeOpenAI();
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-sigint-"));
  await cp(path.join(ROOT, "examples", "data"), path.join(dir, "docs"), { recursive: true });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("Ctrl-C during an answer", () => {
  it("stops the provider request (the server sees the connection close) and exits 130", async () => {
    server.configure({ tokens: Array(500).fill(" word"), tokenDelayMs: 20 }, "chat");
    const child = spawn(
      TSX,
      [path.join(ROOT, "src", "cli", "bin.ts"), "ask", "What did the author do?", "--data", "docs"],
      {
        cwd: dir,
        env: cleanEnv({ OPENAI_BASE_URL: server.baseURL }),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += String(d);
    });
    child.stderr.on("data", (d) => {
      err += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // Wait until the answer is streaming, then press Ctrl-C.
    await server
      .waitFor(() => server.requests.some((r) => r.route === "chat" && r.tokensSent >= 3), 30_000)
      .catch((e: unknown) => {
        throw new Error(`${String(e)}\nchild stderr: ${err}`);
      });
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    const chat = server.requests.find((r) => r.route === "chat")!;
    await server.waitFor(() => chat.clientAborted);
    expect(chat.tokensSent).toBeLessThan(500);
    expect(out).toContain(" word");
    expect(err).toMatch(/interrupted; the model request was stopped/);
  }, 60_000);
});
