import { randomUUID } from "node:crypto";
import { InvalidArgumentError, ProviderConnectionError, StorageError } from "../../errors/index.js";
import {
  type PgConnectionSettings,
  type ResolvedConnectionSettings,
  resolveConnectionSettings,
} from "../../storage/vector-store/pgvector/connection-options.js";
import { checkConnection } from "../../storage/vector-store/pgvector/options.js";
import {
  type PGliteLike,
  type PgClientLike,
  pgliteRunner,
  pgRunner,
  poolRunner,
  type QueryRunner,
  storageError,
  targetOf,
} from "../../storage/vector-store/pgvector/query-runner.js";
import { describe, optionalInteger } from "../../utils/validate.js";
import { ChatMemoryBuffer } from "../chat-memory-buffer.js";
import type { ChatTurn } from "../chat-turn.js";
import { ChatStoreUnavailableError, ConversationBusyError, ConversationConflictError } from "./errors.js";
import {
  checkConversationId,
  checkRoom,
  type ResolvedLimits,
  resolveLimits,
  sameTurn,
  turnBytes,
} from "./limits.js";
import { ChatSql, isCreateRace } from "./pg-chat-sql.js";
import type { ChatOpenOptions, ChatSession, ChatStore, ChatStoreLimits } from "./types.js";

/** Options of {@link PgChatStore}: exactly one of `connectionString`, `client` or `pglite`, as `PgVectorStore` takes. */
export interface PgChatStoreOptions extends ChatStoreLimits, PgConnectionSettings {
  /** `postgres://user:password@host:5432/db`: the store opens (and `close()` ends) a `pg` Pool. */
  connectionString?: string;
  /** A `pg` Pool, or a connected `pg` Client. The caller ends it. */
  client?: PgClientLike;
  /** A PGlite instance (in-process Postgres). The caller closes it. */
  pglite?: PGliteLike;
  /** The conversations' table (default `"streamdex_chats"`); their turns go in `<tableName>_turns`. */
  tableName?: string;
  /** Default `"public"`; created when missing. */
  schemaName?: string;
  /** Makes the memory a conversation is loaded into (default: `new ChatMemoryBuffer()`). */
  createMemory?: (conversationId: string) => ChatMemoryBuffer;
  /**
   * How long a process holds a conversation it answers in without renewing its lease (ms, default 30 000; renewed
   * every third of it while the answer runs). A process that dies mid-answer blocks its conversation this long.
   */
  leaseMs?: number;
  /**
   * How long a message waits for another process's answer in its conversation to end (and be saved) before it is
   * refused with `ConversationBusyError` (ms, default 1000): enough for the save that follows an answer's last
   * event, so a client that sends its next message at once to another process is not refused.
   */
  busyWaitMs?: number;
}

/** Default {@link PgChatStoreOptions.leaseMs}. */
export const DEFAULT_LEASE_MS = 30_000;
/** Default {@link PgChatStoreOptions.busyWaitMs}. */
export const DEFAULT_BUSY_WAIT_MS = 1000;
/** Conversations whose turns could not be saved, kept in this process to save with their next message. */
const MAX_UNSAVED = 100;

/** The state of one conversation this process is answering in (or could not save). */
interface Local {
  memory: ChatMemoryBuffer;
  /** The turns as the database has them. */
  saved: ChatTurn[];
  /** The row's `next_seq` as last read or written. */
  nextSeq: number;
  /** Sessions open on it (a newer message in this process joins the running one's memory). */
  users: number;
  renew: ReturnType<typeof setInterval> | undefined;
  saving: Promise<void> | undefined;
  /** It holds turns that could not be saved: the next message here saves them too. */
  unsaved: boolean;
}

interface AcquireRow {
  next_seq: number;
  turn_count: number;
  bytes: number;
  expired: boolean;
}

interface TurnRow {
  role: ChatTurn["role"] | null;
  content: string | null;
  interrupted: boolean | null;
}

/**
 * A {@link ChatStore} in Postgres, through a `pg` Pool (or a connection string) or PGlite, as `PgVectorStore`:
 * several server processes on one database share their conversations. Its tables (`streamdex_chats`, one row per
 * conversation, and `streamdex_chats_turns`, one row per turn) are created on first use.
 *
 * - **Turns.** A message's user turn and assistant turn are written together, once, when the answer ends (in one
 *   statement: both or neither); an interrupted answer as `interrupted: true` with its partial text.
 * - **Concurrency.** The process answering in a conversation holds its lease (a row field, renewed while the answer
 *   runs). A message on it from another process waits up to `busyWaitMs` (1 s) for that answer to end, then is
 *   refused with {@link ConversationBusyError} (the server's 409) and nothing is written; a newer message in the
 *   same process interrupts the running answer, as in memory.
 * - **Limits.** Conversations unused for `ttlMs` start anew and are deleted lazily (at most every 10 minutes, when
 *   a conversation is opened; no timer runs), or by {@link PgChatStore.deleteExpired}. `maxTurns` (default 500) and
 *   `maxBytes` (default 1 MiB) refuse a message with `ConversationFullError`.
 * - **Database gone.** Opening fails with {@link ChatStoreUnavailableError} (nothing answered, nothing written). A
 *   save that fails writes nothing; the process keeps the turns and saves them with the conversation's next message
 *   it answers (another process, after `leaseMs`, starts from what was saved).
 *
 * @example
 * ```ts
 * import { PgChatStore } from "streamdex/pgvector";
 * const chatStore = new PgChatStore({ connectionString: process.env.DATABASE_URL, ttlMs: 86_400_000 });
 * const server = await startServer({ createEngine, createChatEngine, chatStore });
 * ```
 */
export class PgChatStore implements ChatStore {
  readonly limits: ResolvedLimits;
  readonly leaseMs: number;
  readonly busyWaitMs: number;
  private readonly options: PgChatStoreOptions;
  private readonly connection: ResolvedConnectionSettings;
  private readonly sql: ChatSql;
  private readonly owner = randomUUID();
  private readonly create: (conversationId: string) => ChatMemoryBuffer;
  private readonly locals = new Map<string, Local>();
  private readonly opening = new Map<string, Promise<unknown>>();
  private readonly pending = new Set<Promise<unknown>>();
  private runner: QueryRunner | undefined;
  private ready: Promise<QueryRunner> | undefined;
  private lastSweep = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(options: PgChatStoreOptions) {
    if (options === null || typeof options !== "object") {
      throw new InvalidArgumentError(
        "options",
        `expected { connectionString | client | pglite }, got ${describe(options)}.`,
      );
    }
    checkConnection(options);
    if (options.createMemory !== undefined && typeof options.createMemory !== "function") {
      throw new InvalidArgumentError(
        "createMemory",
        "expected a function (conversationId) => ChatMemoryBuffer.",
      );
    }
    this.limits = resolveLimits(options, { maxTurns: 500, maxBytes: 1024 * 1024 });
    this.leaseMs = optionalInteger("leaseMs", options.leaseMs, 100, DEFAULT_LEASE_MS);
    this.busyWaitMs = optionalInteger("busyWaitMs", options.busyWaitMs, 0, DEFAULT_BUSY_WAIT_MS);
    this.options = options;
    this.connection = resolveConnectionSettings(options);
    this.sql = new ChatSql(
      identifier("schemaName", options.schemaName, "public"),
      identifier("tableName", options.tableName, "streamdex_chats"),
    );
    this.create = options.createMemory ?? (() => new ChatMemoryBuffer());
  }

  /** The quoted, schema-qualified table of the conversations, e.g. `"public"."streamdex_chats"`. */
  get tableName(): string {
    return this.sql.chats;
  }

  /** The quoted, schema-qualified table of their turns, e.g. `"public"."streamdex_chats_turns"`. */
  get turnsTableName(): string {
    return this.sql.turns;
  }

  async open(conversationId: string, options: ChatOpenOptions): Promise<ChatSession> {
    checkConversationId(conversationId);
    if (typeof options?.message !== "string") {
      throw new InvalidArgumentError(
        "options.message",
        `expected a string, got ${describe(options?.message)}.`,
      );
    }
    const runner = await this.setup("The message was not answered (nothing was written)");
    this.maybeSweep();
    // One opening, and no save, at a time per conversation in this process.
    for (;;) {
      const wait = this.opening.get(conversationId) ?? this.locals.get(conversationId)?.saving;
      if (wait === undefined) break;
      await wait.catch(() => undefined);
    }
    const known = this.locals.get(conversationId);
    if (known !== undefined && known.users > 0) {
      // Answering here already: the newer message shares the memory, which interrupts the running answer.
      const turns = known.memory.getAll();
      checkRoom(this.limits, turns.length, turnBytes(turns), options.message);
      known.users++;
      return this.session(conversationId, known, false);
    }
    const opening = this.acquire(runner, conversationId, known, options);
    this.opening.set(conversationId, opening);
    try {
      const { local, created } = await opening;
      return this.session(conversationId, local, created);
    } finally {
      this.opening.delete(conversationId);
    }
  }

  async getTurns(conversationId: string): Promise<ChatTurn[] | undefined> {
    checkConversationId(conversationId);
    const runner = await this.setup("Could not read the conversation");
    const rows = await this.query<TurnRow>(runner, "Could not read the conversation", this.sql.read, [
      conversationId,
      this.limits.ttlMs,
    ]);
    if (rows.length === 0) return undefined;
    return rows.filter((r) => r.role !== null).map(toTurn);
  }

  async delete(conversationId: string): Promise<void> {
    checkConversationId(conversationId);
    const local = this.locals.get(conversationId);
    if (local !== undefined && local.users === 0) this.locals.delete(conversationId);
    const runner = await this.setup("Could not delete the conversation");
    await this.query(runner, "Could not delete the conversation", this.sql.remove, [conversationId]);
  }

  /** Deletes the conversations unused for `ttlMs` (up to 1000 a call) and returns how many. */
  async deleteExpired(): Promise<number> {
    const runner = await this.setup("Could not delete expired conversations");
    const rows = await this.query<{ id: string }>(
      runner,
      "Could not delete expired conversations",
      this.sql.sweep,
      [this.limits.ttlMs],
    );
    for (const { id } of rows) {
      if (this.locals.get(id)?.users === 0) this.locals.delete(id);
    }
    return rows.length;
  }

  /** Waits for the saves in progress, then ends the pool the store opened (from `connectionString`); idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const local of this.locals.values()) clearInterval(local.renew);
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    await this.runner?.close();
  }

  private async acquire(
    runner: QueryRunner,
    id: string,
    known: Local | undefined,
    options: ChatOpenOptions,
  ): Promise<{ local: Local; created: boolean }> {
    const what = "The message was not answered (nothing was written)";
    const take = async () =>
      (
        await this.query<AcquireRow>(runner, what, this.sql.acquire, [
          id,
          this.owner,
          this.leaseMs,
          this.limits.ttlMs,
        ])
      )[0];
    let row = await take();
    // Held by another process: give its answer a moment to end and be saved, then refuse.
    const until = Date.now() + this.busyWaitMs;
    for (let pause = 20; row === undefined && Date.now() < until; pause = Math.min(pause * 2, 200)) {
      await new Promise((r) => setTimeout(r, Math.min(pause, Math.max(0, until - Date.now()))));
      row = await take();
    }
    if (row === undefined) throw new ConversationBusyError(1000);
    try {
      let saved: ChatTurn[] = [];
      let memory: ChatMemoryBuffer | undefined;
      if (row.expired) {
        await this.query(runner, what, this.sql.reset, [id, this.owner]);
      } else if (known?.unsaved && known.nextSeq === row.next_seq) {
        // Nobody wrote since this process failed to save: its unsaved turns are still the conversation's latest.
        saved = known.saved;
        memory = known.memory;
      } else if (row.turn_count > 0) {
        saved = (await this.query<TurnRow>(runner, what, this.sql.load, [id])).map(toTurn);
      }
      const created = memory === undefined && saved.length === 0;
      if (memory === undefined) {
        memory = this.create(id);
        const start = created ? (options.seed ?? []) : saved;
        if (start.length > 0) memory.set(start);
      }
      const turns = memory.getAll();
      checkRoom(this.limits, turns.length, turnBytes(turns), options.message);
      const local: Local = {
        memory,
        saved,
        nextSeq: row.next_seq,
        users: 1,
        renew: undefined,
        saving: undefined,
        unsaved: false,
      };
      local.renew = setInterval(
        () => {
          runner.query(this.sql.renew, [id, this.owner, this.leaseMs]).catch(() => undefined);
        },
        Math.max(50, Math.floor(this.leaseMs / 3)),
      );
      local.renew.unref();
      this.locals.delete(id);
      this.locals.set(id, local);
      return { local, created };
    } catch (error) {
      await this.giveBack(runner, id);
      throw error;
    }
  }

  private session(id: string, local: Local, created: boolean): ChatSession {
    let ended: Promise<void> | undefined;
    return {
      memory: local.memory,
      created,
      end: () => {
        ended ??= this.end(id, local);
        return ended;
      },
    };
  }

  private async end(id: string, local: Local): Promise<void> {
    local.users--;
    if (local.users > 0) return;
    clearInterval(local.renew);
    local.renew = undefined;
    const saving = this.save(id, local);
    local.saving = saving;
    this.pending.add(saving);
    try {
      await saving;
    } finally {
      this.pending.delete(saving);
      local.saving = undefined;
    }
  }

  /** Writes what the memory holds beyond what was saved (or all of it, when it changed older turns). */
  private async save(id: string, local: Local): Promise<void> {
    const runner = this.runner!;
    // The assistant's turn is written as the answer ends; a caller that ends the session first waits for it.
    for (let i = 0; local.memory.busy && i < 50; i++) await new Promise((r) => setImmediate(r));
    const all = local.memory.getAll();
    // Still answering (end() called too early): the exchange in progress is cleanly left out.
    const now = local.memory.busy ? all.slice(0, -1) : all;
    const { saved } = local;
    const append = now.length >= saved.length && saved.every((t, i) => sameTurn(t, now[i]!));
    const added = append ? now.slice(saved.length) : now;
    if (added.length === 0 && append) {
      this.forget(id, local);
      await this.giveBack(runner, id);
      return;
    }
    const rows = [
      id,
      this.owner,
      local.nextSeq,
      added.length,
      now.length,
      turnBytes(now),
      !append,
      JSON.stringify(
        added.map((t, i) => ({
          seq: local.nextSeq + i,
          role: t.role,
          content: t.content,
          interrupted: t.interrupted === true,
        })),
      ),
    ];
    let result: { saved: number }[];
    try {
      result = await runner.query<{ saved: number }>(this.sql.save, rows);
    } catch (error) {
      if (error instanceof ProviderConnectionError) {
        local.unsaved = true;
        this.trimUnsaved();
        throw new ChatStoreUnavailableError(
          "The answer was not saved to the conversation store: nothing of it was written, and this process keeps " +
            `it to save with the conversation's next message it answers. ${error.message}`,
          { cause: error },
        );
      }
      this.forget(id, local);
      await this.giveBack(runner, id);
      throw storageError(`could not save the conversation in ${this.sql.turns}`, error);
    }
    this.forget(id, local);
    if (result[0]?.saved !== 1) throw new ConversationConflictError();
  }

  private forget(id: string, local: Local): void {
    if (this.locals.get(id) === local) this.locals.delete(id);
  }

  /** Keeps at most {@link MAX_UNSAVED} conversations whose turns wait to be saved (the oldest go first). */
  private trimUnsaved(): void {
    const unsaved = [...this.locals].filter(([, l]) => l.unsaved && l.users === 0);
    for (const [id] of unsaved.slice(0, Math.max(0, unsaved.length - MAX_UNSAVED))) this.locals.delete(id);
  }

  /** Releases the lease, deleting the conversation's row when it has no turns (best effort: it expires anyway). */
  private async giveBack(runner: QueryRunner, id: string): Promise<void> {
    try {
      await runner.query(this.sql.dropEmpty, [id, this.owner]);
      await runner.query(this.sql.release, [id, this.owner]);
    } catch {
      // Unreachable: the lease runs out after leaseMs (and this process takes it back at once).
    }
  }

  /** Starts deleting expired conversations, at most every 10 minutes (or `ttlMs`, when shorter). */
  private maybeSweep(): void {
    const every = Math.min(this.limits.ttlMs, 10 * 60 * 1000);
    const now = Date.now();
    if (now - this.lastSweep < every) return;
    this.lastSweep = now;
    const sweep = this.deleteExpired().catch(() => 0);
    this.pending.add(sweep);
    void sweep.finally(() => this.pending.delete(sweep));
  }

  private async query<R>(runner: QueryRunner, what: string, text: string, values: unknown[]): Promise<R[]> {
    try {
      return await runner.query<R>(text, values);
    } catch (error) {
      throw this.wrap(what, error);
    }
  }

  private wrap(what: string, error: unknown): Error {
    if (error instanceof ProviderConnectionError) {
      return new ChatStoreUnavailableError(
        `The conversation store is unreachable. ${what}. ${error.message}`,
        {
          cause: error,
        },
      );
    }
    return storageError(`${what} (${this.sql.chats})`, error);
  }

  /** Connects and creates the tables, once (retried after a failure). */
  private setup(what: string): Promise<QueryRunner> {
    if (this.closed)
      return Promise.reject(new StorageError(`the PgChatStore for ${this.sql.chats} is closed.`));
    if (this.ready === undefined) {
      const ready = (async () => {
        this.runner ??=
          this.makeRunner() ?? (await poolRunner(this.options.connectionString!, this.connection));
        const runner = this.runner;
        try {
          await this.sql.setup(runner);
        } catch (error) {
          // Two processes creating the tables at once: the loser's second try finds them.
          if (!isCreateRace(error)) throw error;
          await this.sql.setup(runner);
        }
        return runner;
      })();
      this.ready = ready;
      ready.catch(() => {
        if (this.ready === ready) this.ready = undefined;
      });
    }
    return this.ready.catch((error: unknown) => {
      throw this.wrap(what, error);
    });
  }

  private makeRunner(): QueryRunner | undefined {
    const { client, pglite } = this.options;
    if (pglite !== undefined) return pgliteRunner(pglite, false, this.connection);
    if (client !== undefined) return pgRunner(client, false, targetOf(client), this.connection);
    return undefined;
  }
}

function toTurn(row: TurnRow): ChatTurn {
  const turn: ChatTurn = { role: row.role!, content: row.content ?? "" };
  if (row.interrupted === true) turn.interrupted = true;
  return turn;
}

function identifier(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || value === "" || value.includes("\0") || Buffer.byteLength(value) > 48) {
    throw new InvalidArgumentError(
      name,
      `expected a non-empty name of at most 48 bytes without NUL characters, got ${describe(value)}.`,
    );
  }
  return value;
}
