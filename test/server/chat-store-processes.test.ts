import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MockLLM } from "../../src/index.js";
import { startServer } from "../../src/server/index.js";
import { PgChatStore } from "../../src/storage/vector-store/pgvector/index.js";
import { PgSocket, storedTurns } from "../storage/chat-store/pg-socket.js";
import { cleanEnv } from "../support/clean-env.js";
import { engineFactory, errorOf, parseSSE, postJson, until } from "./support.js";

const ROOT = resolve(import.meta.dirname, "../..");
const WORKER = join(ROOT, "test/server/chat-store-worker.ts");
const TSX = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;

/** A server process of its own (chat-store-worker.ts) on the database. */
interface ServerProcess {
  url: string;
  child: ChildProcessWithoutNullStreams;
  stderr: () => string;
}

const children: ChildProcessWithoutNullStreams[] = [];
async function serverProcess(dbUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", TSX, WORKER, dbUrl], { cwd: ROOT, env: cleanEnv(env) });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => {
    out += String(d);
  });
  child.stderr.on("data", (d) => {
    err += String(d);
  });
  const deadline = Date.now() + 30_000;
  while (!/url (\S+)\n/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the server process failed: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { url: /url (\S+)\n/.exec(out)![1]!, child, stderr: () => err };
}

/** The events of a streamdex chat message (SSE), with its status. */
async function say(server: { url: string }, conversationId: string, message: string) {
  const res = await postJson(`${server.url}/api/chat`, { message, conversationId });
  if (res.status !== 200) return { status: res.status, res, text: "" };
  const events = parseSSE(await res.text());
  const text = events
    .filter(([e]) => e === "delta")
    .map(([, d]) => (d as { text: string }).text)
    .join("");
  return { status: res.status, res, text, last: events.at(-1)?.[0] };
}

/** Waits until conversation `id` has `n` stored turns (its exchange is saved just after the stream's last event). */
async function turnsOf(id: string, n: number): Promise<string[]> {
  const deadline = Date.now() + 5000;
  let turns = await storedTurns(socket, id);
  while (turns.length < n && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    turns = await storedTurns(socket, id);
  }
  return turns;
}

let socket: PgSocket;
beforeAll(async () => {
  socket = new PgSocket();
  await socket.start();
});
afterAll(async () => {
  for (const child of children) {
    child.stdin.end();
    if (child.exitCode === null) await new Promise((r) => child.once("exit", r));
  }
  await socket?.close();
});

describe("two server processes on one Postgres (PGlite socket server) share conversations", () => {
  let a: ServerProcess;
  let b: ServerProcess;
  beforeAll(async () => {
    // Answers take 40 ms a word: a "slow" one (80 words) outlasts the 1 s a busy conversation's message waits.
    [a, b] = await Promise.all([
      serverProcess(socket.url(), { CHUNK_DELAY_MS: "40" }),
      serverProcess(socket.url(), { CHUNK_DELAY_MS: "40" }),
    ]);
  }, 60_000);

  it("take turns on one conversation: B answers turn 2 with A's turn 1 in its history", async () => {
    const one = await say(a, "turns", "hello");
    expect(one).toMatchObject({ status: 200, last: "done", text: "re: hello [history: ]" });
    const two = await say(b, "turns", "and then?");
    expect(two).toMatchObject({ status: 200, last: "done", text: "re: and then? [history: hello]" });
    const three = await say(a, "turns", "last");
    expect(three.text).toBe("re: last [history: hello | and then?]");
    expect(await turnsOf("turns", 6)).toEqual([
      "user:hello",
      "assistant:re: hello [history: ]",
      "user:and then?",
      "assistant:re: and then? [history: hello]",
      "user:last",
      "assistant:re: last [history: hello | and then?]",
    ]);
  });

  it("two concurrent messages from two processes: the second gets 409 conversation_busy, nothing lost or doubled", async () => {
    const slow = postJson(`${a.url}/api/chat`, { message: "slow one", conversationId: "race" });
    const started = await slow;
    expect(started.status).toBe(200);
    const reader = started.body!.getReader();
    await reader.read(); // A is streaming its answer
    const refused = await say(b, "race", "quick one");
    expect(refused.status).toBe(409);
    expect(refused.res.headers.get("retry-after")).toBe("1");
    const error = await errorOf(refused.res);
    expect(error.code).toBe("conversation_busy");
    expect(error.message).toMatch(/Another server process is answering.*send the message again/);
    while (!(await reader.read()).done);
    expect(await turnsOf("race", 2)).toHaveLength(2);
    const retried = await say(b, "race", "quick one");
    expect(retried).toMatchObject({ status: 200, text: "re: quick one [history: slow one]" });
    await turnsOf("race", 4);
    const rows = await socket.rows<{ seq: number; role: string; content: string }>(
      "SELECT seq, role, content FROM streamdex_chats_turns WHERE chat_id = 'race' ORDER BY seq",
    );
    expect(rows.map((r) => `${r.role}:${r.content}`)).toEqual([
      "user:slow one",
      `assistant:re: slow one [history: ] ${"word ".repeat(80).trim()}`,
      "user:quick one",
      "assistant:re: quick one [history: slow one]",
    ]);
    expect(new Set(rows.map((r) => r.seq)).size).toBe(4);
  });

  it("two processes racing for a new conversation: exactly one answers, the other gets 409", async () => {
    const [x, y] = await Promise.all([say(a, "new-race", "slow from a"), say(b, "new-race", "slow from b")]);
    expect([x.status, y.status].sort()).toEqual([200, 409]);
    const winner = x.status === 200 ? "slow from a" : "slow from b";
    const turns = await turnsOf("new-race", 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(await storedTurns(socket, "new-race")).toEqual(turns);
    expect(turns).toHaveLength(2);
    expect(turns[0]).toBe(`user:${winner}`);
  });
});

describe("a database that goes away mid-conversation", () => {
  it("the answer streams to its end; its turns are kept in the process and saved with the next message; meanwhile 503", async () => {
    const llm = new MockLLM({
      response: (p) => `re: ${p.split("\n").at(-2)?.replace("user: ", "")} now`,
      chunkDelayMs: 30,
    });
    const chatStore = new PgChatStore({ connectionString: socket.url("s3cret-Pa55word") });
    const logs: string[] = [];
    const server = await startServer({
      ...engineFactory(llm),
      defaultChatMode: "simple",
      chatStore,
      logger: (line) => logs.push(line),
    });
    try {
      expect((await say(server, "outage", "first")).text).toBe("re: first now");
      const res = await postJson(`${server.url}/api/chat`, { message: "second", conversationId: "outage" });
      const reader = res.body!.getReader();
      await reader.read();
      await socket.stop(); // mid-answer
      let body = "";
      for (let r = await reader.read(); !r.done; r = await reader.read())
        body += new TextDecoder().decode(r.value);
      expect(body).toContain("event: done");
      await until(() => logs.some((l) => l.startsWith("chat store:")), 5000);
      const line = logs.find((l) => l.startsWith("chat store:"))!;
      expect(line).toMatch(
        /chat_store_unavailable: The answer was not saved.*nothing of it was written.*keeps it/,
      );
      expect(line).not.toContain("s3cret-Pa55word");

      const down = await postJson(`${server.url}/api/chat`, { message: "third", conversationId: "outage" });
      expect(down.status).toBe(503);
      expect(down.headers.get("retry-after")).toBe("5");
      const error = await errorOf(down);
      expect(error.code).toBe("chat_store_unavailable");
      expect(error.message).toMatch(
        /unreachable.*not answered \(nothing was written\).*check that the server is running/,
      );
      expect(error.message).not.toContain("s3cret-Pa55word");
    } finally {
      await socket.start();
    }
    expect(await storedTurns(socket, "outage")).toEqual(["user:first", "assistant:re: first now"]);
    const back = await say(server, "outage", "third");
    expect(back.status).toBe(200);
    expect(await turnsOf("outage", 6)).toEqual([
      "user:first",
      "assistant:re: first now",
      "user:second",
      "assistant:re: second now",
      "user:third",
      "assistant:re: third now",
    ]);
    await server.close();
    await chatStore.close();
  }, 30_000);
});
