import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { runCli } from "./run-cli.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
const PASSWORD = "s3cret-Pa55word";

let dir: string;
let db: PGlite;
let server: PGLiteSocketServer;
let url: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-serve-chats-"));
  await cp(DATA, path.join(dir, "docs"), { recursive: true });
  db = new PGlite({ extensions: { vector } });
  server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 16 });
  await server.start();
  url = `postgres://streamdex:${PASSWORD}@${server.getServerConn()}/postgres`;
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});

/** `streamdex serve` in this process until `stop()`; its URL and stderr. */
async function serve(args: string[]) {
  let out = "";
  let err = "";
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on("data", (d) => {
    out += String(d);
  });
  stderr.on("data", (d) => {
    err += String(d);
  });
  const interrupt = new AbortController();
  const running = main(["serve", "--port", "0", ...args], {
    stdout,
    stderr,
    env: {},
    cwd: dir,
    interrupt: interrupt.signal,
  });
  for (let i = 0; i < 1000 && !/answering on (\S+) /.test(out); i++)
    await new Promise((r) => setTimeout(r, 10));
  const base = /answering on (\S+) /.exec(out)?.[1];
  if (base === undefined) throw new Error(`serve did not start: ${err}`);
  return {
    url: base,
    stderr: () => err,
    stop: async () => {
      interrupt.abort();
      return running;
    },
  };
}

const turns = async () =>
  (
    await db.query<{ role: string; content: string }>(
      "SELECT role, content FROM streamdex_chats_turns WHERE chat_id = 'cli-chat' ORDER BY seq",
    )
  ).rows;

async function chat(base: string, message: string): Promise<string> {
  const res = await fetch(`${base}/api/chat`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message, conversationId: "cli-chat", chatMode: "simple" }),
  });
  expect(res.status).toBe(200);
  return res.text();
}

describe("streamdex serve --store postgres://…", () => {
  it("keeps the conversations in the same database, where the next serve process finds them", async () => {
    const store = ["--store", url, "--embed", "hash"];
    const ingested = await runCli(["ingest", "docs", ...store], { cwd: dir });
    expect(ingested.code, ingested.stderr).toBe(0);

    const first = await serve(store);
    expect(first.stderr()).toContain(
      `Conversations: Postgres postgres://streamdex:[redacted]@${server.getServerConn()}/postgres, table public.streamdex_chats.`,
    );
    expect(await chat(first.url, "What did the author do growing up?")).toContain("event: done");
    expect(await first.stop()).toBe(0); // waits for the exchange to be saved
    expect((await turns()).map((t) => t.role)).toEqual(["user", "assistant"]);

    const second = await serve(store);
    expect(await chat(second.url, "And after that?")).toContain("event: done");
    expect(await second.stop()).toBe(0);
    const rows = await turns();
    expect(rows.map((t) => `${t.role}:${t.role === "user" ? t.content : "…"}`)).toEqual([
      "user:What did the author do growing up?",
      "assistant:…",
      "user:And after that?",
      "assistant:…",
    ]);
    expect(first.stderr() + second.stderr()).not.toContain(PASSWORD);
  }, 120_000);
});
