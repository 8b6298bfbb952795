import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ChatStoreUnavailableError, InvalidArgumentError } from "../../../src/index.js";
import { PgChatStore } from "../../../src/storage/vector-store/pgvector/index.js";
import { WireProxy } from "../pgvector/wire-proxy.js";
import { PgSocket, storedTurns } from "./pg-socket.js";

let socket: PgSocket;
let proxy: WireProxy;
let uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);
const stores: PgChatStore[] = [];

beforeAll(async () => {
  socket = new PgSocket();
  await socket.start();
  proxy = await WireProxy.start(socket.port);
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onUncaught);
}, 60_000); // PGlite boots slowly on a busy machine
afterAll(async () => {
  for (const store of stores) await store.close().catch(() => undefined);
  process.off("uncaughtException", onUncaught);
  process.off("unhandledRejection", onUncaught);
  await proxy?.close();
  await socket?.close();
});
afterEach(() => {
  expect(uncaught).toEqual([]);
  uncaught = [];
});

function open(options: Partial<ConstructorParameters<typeof PgChatStore>[0]> = {}): PgChatStore {
  const store = new PgChatStore({ connectionString: proxy.url(), ...options });
  stores.push(store);
  return store;
}

describe("PgChatStore: dropped connections (pg → wire proxy → PGLiteSocketServer)", () => {
  it("a connection cut while saving: ChatStoreUnavailableError, nothing written, saved with the next message", async () => {
    const store = open({ pool: { max: 2, connectionTimeoutMillis: 2000 } });
    const first = await store.open("cut", { message: "q1" });
    first.memory.startTurn("q1").complete("a1");
    const cut = proxy.cutOn("added AS (INSERT INTO");
    const error = await first.end().catch((e: unknown) => e);
    await cut;
    expect(error).toBeInstanceOf(ChatStoreUnavailableError);
    expect((error as Error).message).toMatch(
      /not saved.*Lost the connection to Postgres at 127\.0\.0\.1:\d+/,
    );
    expect(await storedTurns(socket, "cut")).toEqual([]);
    const next = await store.open("cut", { message: "q2" });
    next.memory.startTurn("q2").complete("a2");
    await next.end();
    expect(await storedTurns(socket, "cut")).toEqual(["user:q1", "assistant:a1", "user:q2", "assistant:a2"]);
  });

  it('"terminating connection due to administrator command" (57P01) makes the store unavailable, not a StorageError', async () => {
    const store = open();
    await store.getTurns("warm-up"); // creates the tables
    const sql = socket.pool(1);
    await sql.query(
      "CREATE FUNCTION chats_shutdown() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION " +
        "'terminating connection due to administrator command' USING ERRCODE = 'admin_shutdown'; END $$",
    );
    await sql.query(
      "CREATE TRIGGER chats_shutdown BEFORE INSERT ON streamdex_chats FOR EACH ROW EXECUTE FUNCTION chats_shutdown()",
    );
    const error = await store.open("admin", { message: "q" }).catch((e: unknown) => e);
    await sql.query("DROP TRIGGER chats_shutdown ON streamdex_chats");
    await sql.end();
    expect(error).toBeInstanceOf(ChatStoreUnavailableError);
    expect((error as Error).message).toMatch(/unreachable.*57P01 terminating connection/);
    const session = await store.open("admin", { message: "q" });
    session.memory.startTurn("q").complete("a");
    await session.end();
    expect(await storedTurns(socket, "admin")).toEqual(["user:q", "assistant:a"]);
  });

  it("takes pool and statementTimeoutMs like PgVectorStore, and refuses a pool it would not open", () => {
    expect(() => new PgChatStore({ client: socket.pool(1), pool: { max: 3 } })).toThrow(InvalidArgumentError);
    expect(() => open({ statementTimeoutMs: 0 })).toThrow(/Invalid statementTimeoutMs/);
  });
});
