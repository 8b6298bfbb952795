import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ChatSession,
  ChatStoreUnavailableError,
  ConversationBusyError,
  ConversationFullError,
  StorageError,
} from "../../../src/index.js";
import { PgChatStore } from "../../../src/storage/vector-store/pgvector/index.js";
import { PgSocket, storedTurns } from "./pg-socket.js";

let socket: PgSocket;
beforeAll(async () => {
  socket = new PgSocket();
  await socket.start();
});
afterAll(() => socket?.close());

const stores: PgChatStore[] = [];
/** A store on the socket server through its own pg Pool, as one server process has. */
function processStore(options: Partial<ConstructorParameters<typeof PgChatStore>[0]> = {}): PgChatStore {
  const store = new PgChatStore({ client: socket.pool(), ...options });
  stores.push(store);
  return store;
}
afterAll(async () => {
  for (const store of stores) await store.close();
});

/** One exchange as a chat engine makes it: the user's turn now, the assistant's once, at the end. */
async function exchange(session: ChatSession, message: string, answer: string, interrupted = false) {
  const turn = session.memory.startTurn(message);
  if (interrupted) turn.interrupt(answer);
  else turn.complete(answer);
  await session.end();
}

describe("PgChatStore over the Postgres wire protocol (pg Pool → PGLiteSocketServer)", () => {
  it("creates its tables on first use and writes each exchange once, when the answer ends", async () => {
    const store = processStore();
    const first = await store.open("c1", { message: "hello" });
    expect(first.created).toBe(true);
    const turn = first.memory.startTurn("hello");
    expect(await storedTurns(socket, "c1")).toEqual([]); // nothing before the answer ends
    turn.complete("hi there");
    turn.complete("written twice?");
    await first.end();
    await first.end();
    expect(await storedTurns(socket, "c1")).toEqual(["user:hello", "assistant:hi there"]);
    const second = await store.open("c1", { message: "more" });
    expect(second.created).toBe(false);
    expect(second.memory.getAll()).toEqual([
      { role: "user", content: "hello" },
      { role: "assistant", content: "hi there" },
    ]);
    await exchange(second, "more", "the partial ans", true);
    expect(await storedTurns(socket, "c1")).toEqual([
      "user:hello",
      "assistant:hi there",
      "user:more",
      "assistant:the partial ans!",
    ]);
    expect(await store.getTurns("c1")).toEqual([
      { role: "user", content: "hello" },
      { role: "assistant", content: "hi there" },
      { role: "user", content: "more" },
      { role: "assistant", content: "the partial ans", interrupted: true },
    ]);
    expect(await store.getTurns("never-seen")).toBeUndefined();
    expect(store.tableName).toBe('"public"."streamdex_chats"');
    const chats = await socket.rows(
      "SELECT turn_count, bytes, lease_owner FROM streamdex_chats WHERE id = 'c1'",
    );
    expect(chats).toEqual([{ turn_count: 4, bytes: 32, lease_owner: null }]);
  });

  it("a conversation answering in one process is refused in another (409-style), with nothing written", async () => {
    const a = processStore();
    const b = processStore({ busyWaitMs: 0 });
    const running = await a.open("shared", { message: "q1" });
    const turn = running.memory.startTurn("q1");
    const refused = await b.open("shared", { message: "q2" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConversationBusyError);
    expect((refused as ConversationBusyError).code).toBe("conversation_busy");
    turn.complete("a1");
    await running.end();
    const next = await b.open("shared", { message: "q2" });
    expect(next.memory.getAll().map((t) => t.content)).toEqual(["q1", "a1"]);
    await exchange(next, "q2", "a2");
    expect(await storedTurns(socket, "shared")).toEqual([
      "user:q1",
      "assistant:a1",
      "user:q2",
      "assistant:a2",
    ]);
  });

  it("a message waits up to busyWaitMs for the other process's answer to end and be saved", async () => {
    const a = processStore();
    const b = processStore({ busyWaitMs: 2000 });
    const running = await a.open("grace", { message: "q1" });
    const turn = running.memory.startTurn("q1");
    const started = Date.now();
    const waiting = b.open("grace", { message: "q2" });
    setTimeout(() => {
      turn.complete("a1");
      void running.end();
    }, 300);
    const next = await waiting;
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(next.memory.getAll().map((t) => t.content)).toEqual(["q1", "a1"]);
    await exchange(next, "q2", "a2");
    const refused = processStore({ busyWaitMs: 200 });
    const held = await a.open("grace", { message: "q3" });
    const before = Date.now();
    await expect(refused.open("grace", { message: "q4" })).rejects.toBeInstanceOf(ConversationBusyError);
    expect(Date.now() - before).toBeGreaterThanOrEqual(180);
    await held.end();
    expect(await storedTurns(socket, "grace")).toEqual([
      "user:q1",
      "assistant:a1",
      "user:q2",
      "assistant:a2",
    ]);
  });

  it("in one process a newer message shares the memory and interrupts the running answer", async () => {
    const store = processStore();
    const one = await store.open("same", { message: "first" });
    const turn = one.memory.startTurn("first");
    let stopped = false;
    turn.attach({
      partialText: () => "half",
      stop: () => {
        stopped = true;
      },
    });
    const two = await store.open("same", { message: "second" });
    expect(two.memory).toBe(one.memory);
    two.memory.startTurn("second").complete("full");
    expect(stopped).toBe(true);
    await one.end();
    expect(await storedTurns(socket, "same")).toEqual([]); // saved when the last of them ends
    await two.end();
    expect(await storedTurns(socket, "same")).toEqual([
      "user:first",
      "assistant:half!",
      "user:second",
      "assistant:full",
    ]);
  });

  it("a rewritten history (a regenerated answer) replaces the old turns without duplicates", async () => {
    const store = processStore();
    await exchange(await store.open("regen", { message: "q" }), "q", "a");
    const again = await store.open("regen", { message: "q" });
    again.memory.set(again.memory.getAll().slice(0, -2));
    await exchange(again, "q", "better a");
    expect(await storedTurns(socket, "regen")).toEqual(["user:q", "assistant:better a"]);
    const seeded = await store.open("seeded", {
      message: "q",
      seed: [
        { role: "user", content: "old q" },
        { role: "assistant", content: "old a" },
      ],
    });
    expect(seeded.created).toBe(true);
    await exchange(seeded, "q", "a");
    expect(await storedTurns(socket, "seeded")).toEqual([
      "user:old q",
      "assistant:old a",
      "user:q",
      "assistant:a",
    ]);
  });

  it("an unused conversation expires: the next message starts anew; deleteExpired removes the rest", async () => {
    const store = processStore({ ttlMs: 60 * 60 * 1000 });
    await exchange(await store.open("old", { message: "q" }), "q", "a");
    await exchange(await store.open("stale", { message: "q" }), "q", "a");
    await socket.rows(
      "UPDATE streamdex_chats SET updated_at = now() - interval '2 hours' WHERE id IN ('old', 'stale')",
    );
    expect(await store.getTurns("old")).toBeUndefined();
    const fresh = await store.open("old", { message: "again" });
    expect(fresh.created).toBe(true);
    expect(fresh.memory.size).toBe(0);
    await exchange(fresh, "again", "anew");
    expect(await storedTurns(socket, "old")).toEqual(["user:again", "assistant:anew"]);
    expect(await store.deleteExpired()).toBe(1);
    expect(await socket.rows("SELECT id FROM streamdex_chats WHERE id = 'stale'")).toEqual([]);
    expect(await storedTurns(socket, "stale")).toEqual([]);
  });

  it("refuses a message beyond maxTurns or maxBytes with ConversationFullError, writing nothing", async () => {
    const store = processStore({ maxTurns: 4, maxBytes: 40 });
    await exchange(await store.open("capped", { message: "q1" }), "q1", "a1");
    await exchange(await store.open("capped", { message: "q2" }), "q2", "a2");
    const full = await store.open("capped", { message: "q3" }).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(ConversationFullError);
    expect((full as Error).message).toMatch(
      /holds 4 messages.*at most 4 messages.*\(maxTurns\).*new conversation/,
    );
    const big = await store.open("bytes", { message: "x".repeat(41) }).catch((e: unknown) => e);
    expect(big).toMatchObject({ code: "conversation_full", limit: "maxBytes", max: 40 });
    expect(await storedTurns(socket, "capped")).toHaveLength(4);
    // Refused conversations hold no lease and leave no row behind.
    expect(await socket.rows("SELECT id FROM streamdex_chats WHERE id = 'bytes'")).toEqual([]);
  });

  it("a process that stops mid-answer blocks its conversation for leaseMs only; a live answer renews its lease", async () => {
    const dead = processStore({ leaseMs: 300 });
    const other = processStore({ leaseMs: 300, busyWaitMs: 0 });
    const held = await dead.open("lease", { message: "q" });
    held.memory.startTurn("q");
    await new Promise((r) => setTimeout(r, 500)); // renewed meanwhile
    await expect(other.open("lease", { message: "q2" })).rejects.toBeInstanceOf(ConversationBusyError);
    await dead.close(); // the process is gone: nothing renews its lease, nothing is saved
    await new Promise((r) => setTimeout(r, 400));
    const taken = await other.open("lease", { message: "q2" });
    expect(taken.memory.size).toBe(0);
    await exchange(taken, "q2", "a2");
    expect(await storedTurns(socket, "lease")).toEqual(["user:q2", "assistant:a2"]);
  });

  it("refuses a table of another shape", async () => {
    await socket.rows("CREATE TABLE not_chats (id int PRIMARY KEY)");
    const store = processStore({ tableName: "not_chats" });
    const error = await store.open("c", { message: "q" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(
      /not_chats.*not a streamdex conversation table.*another tableName/,
    );
  });
});

describe("PgChatStore when the database goes away", () => {
  it("opening: ChatStoreUnavailableError naming host:port and what to do, never the password", async () => {
    const store = new PgChatStore({ connectionString: socket.url() });
    stores.push(store);
    await socket.stop();
    try {
      const error = await store.open("down", { message: "q" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ChatStoreUnavailableError);
      const e = error as ChatStoreUnavailableError;
      expect(e.code).toBe("chat_store_unavailable");
      expect(e.message).toMatch(
        /unreachable.*not answered \(nothing was written\).*127\.0\.0\.1:\d+.*check that the server is running/,
      );
      expect(`${e.message} ${e.stack} ${JSON.stringify(e)}`).not.toContain("s3cret-Pa55word");
    } finally {
      await socket.start();
    }
    await exchange(await store.open("down", { message: "q" }), "q", "a"); // back: it works again
    expect(await storedTurns(socket, "down")).toEqual(["user:q", "assistant:a"]);
  });

  it("mid-answer: nothing of the exchange is written; this process keeps it and saves it with the next message", async () => {
    const store = processStore();
    await exchange(await store.open("gone", { message: "q1" }), "q1", "a1");
    const session = await store.open("gone", { message: "q2" });
    const turn = session.memory.startTurn("q2");
    await socket.stop(); // the database goes away while the answer streams
    turn.complete("a2");
    const error = await session.end().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatStoreUnavailableError);
    expect((error as Error).message).toMatch(/not saved.*nothing of it was written.*keeps it/);
    await expect(store.open("gone", { message: "q3" })).rejects.toBeInstanceOf(ChatStoreUnavailableError);
    await socket.start();
    expect(await storedTurns(socket, "gone")).toEqual(["user:q1", "assistant:a1"]);
    // Another process sees what was saved (and waits out the lease the failed save left).
    await expect(processStore().open("gone", { message: "elsewhere" })).rejects.toBeInstanceOf(
      ConversationBusyError,
    );
    const next = await store.open("gone", { message: "q3" });
    expect(next.memory.getAll().map((t) => t.content)).toEqual(["q1", "a1", "q2", "a2"]);
    await exchange(next, "q3", "a3");
    expect(await storedTurns(socket, "gone")).toEqual([
      "user:q1",
      "assistant:a1",
      "user:q2",
      "assistant:a2",
      "user:q3",
      "assistant:a3",
    ]);
  });
});

describe("PgChatStore on in-process PGlite", () => {
  it("keeps conversations in the same PGlite as the vector store", async () => {
    const db = new PGlite();
    try {
      const store = new PgChatStore({ pglite: db, schemaName: "chat space", tableName: "talks" });
      await exchange(await store.open("p", { message: "q" }), "q", "a");
      expect(store.turnsTableName).toBe('"chat space"."talks_turns"');
      const rows = await db.query<{ content: string }>(
        'SELECT content FROM "chat space".talks_turns ORDER BY seq',
      );
      expect(rows.rows.map((r) => r.content)).toEqual(["q", "a"]);
      await store.delete("p");
      expect(await store.getTurns("p")).toBeUndefined();
      await store.close();
    } finally {
      await db.close();
    }
  });
});
