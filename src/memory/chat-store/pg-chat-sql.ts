import { StorageError, StreamdexError } from "../../errors/index.js";
import { quoteIdent } from "../../storage/vector-store/pgvector/options.js";
import type { QueryRunner } from "../../storage/vector-store/pgvector/query-runner.js";

/**
 * The SQL of `PgChatStore`. Every statement that changes a conversation is ONE statement (data-modifying CTEs
 * where it takes several steps), so it is atomic on its own: no transaction is held across the network, and a
 * server that multiplexes connections over one session (PGlite's socket server) cannot interleave them.
 *
 * Two tables: `<table>` has one row per conversation (counts, `next_seq`, timestamps and the lease of the process
 * answering in it), `<table>_turns` one row per turn (`seq` ascending, never reused).
 */
export class ChatSql {
  readonly chats: string;
  readonly turns: string;
  private readonly schema: string;
  private readonly prefix: string;

  constructor(schemaName: string, tableName: string) {
    this.schema = schemaName;
    this.prefix = tableName;
    this.chats = `${quoteIdent(schemaName)}.${quoteIdent(tableName)}`;
    this.turns = `${quoteIdent(schemaName)}.${quoteIdent(`${tableName}_turns`)}`;
  }

  /** Creates the schema, the tables and the index when missing; refuses a same-named table of another shape. */
  async setup(runner: QueryRunner): Promise<void> {
    const [schema] = await runner.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [this.schema]);
    if (schema === undefined) await runner.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
    for (const [table, needed] of [
      [this.chats, "lease_owner"],
      [this.turns, "seq"],
    ] as const) {
      const columns = await runner.query<{ name: string }>(
        "SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
        [table],
      );
      if (columns.length > 0 && !columns.some((c) => c.name === needed)) {
        throw new StorageError(
          `the table ${table} exists and is not a streamdex conversation table: pass PgChatStore another tableName.`,
        );
      }
    }
    await runner.query(
      `CREATE TABLE IF NOT EXISTS ${this.chats} (id text PRIMARY KEY, turn_count integer NOT NULL DEFAULT 0, ` +
        "bytes integer NOT NULL DEFAULT 0, next_seq integer NOT NULL DEFAULT 0, " +
        "created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), " +
        "lease_owner text, lease_until timestamptz)",
    );
    await runner.query(
      `CREATE TABLE IF NOT EXISTS ${this.turns} (chat_id text NOT NULL REFERENCES ${this.chats} (id) ` +
        "ON DELETE CASCADE, seq integer NOT NULL, role text NOT NULL CHECK (role IN ('system', 'user', 'assistant')), " +
        "content text NOT NULL, interrupted boolean NOT NULL DEFAULT false, " +
        "created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (chat_id, seq))",
    );
    await runner.query(
      `CREATE INDEX IF NOT EXISTS ${quoteIdent(`${this.prefix}_updated_at_idx`)} ON ${this.chats} (updated_at)`,
    );
  }

  /**
   * Takes the lease of conversation `$1` for owner `$2` for `$3` ms, creating the row when new: when nobody holds it,
   * its lease ran out, or `$2` holds it already (a lease this process left behind). No row: another process holds it.
   * `expired`: unused for `$4` ms.
   */
  get acquire(): string {
    return (
      `INSERT INTO ${this.chats} AS c (id, lease_owner, lease_until) ` +
      "VALUES ($1, $2, now() + $3::double precision * interval '1 millisecond') " +
      "ON CONFLICT (id) DO UPDATE SET lease_owner = EXCLUDED.lease_owner, lease_until = EXCLUDED.lease_until " +
      "WHERE c.lease_owner IS NULL OR c.lease_owner = EXCLUDED.lease_owner OR c.lease_until < now() " +
      "RETURNING c.next_seq, c.turn_count, c.bytes, " +
      "(c.updated_at < now() - $4::double precision * interval '1 millisecond') AS expired"
    );
  }

  /** Empties expired conversation `$1` held by `$2`: it starts anew. */
  get reset(): string {
    return (
      `WITH chat AS (UPDATE ${this.chats} SET turn_count = 0, bytes = 0, created_at = now(), updated_at = now() ` +
      "WHERE id = $1 AND lease_owner = $2 RETURNING id) " +
      `DELETE FROM ${this.turns} WHERE chat_id IN (SELECT id FROM chat)`
    );
  }

  /** The turns of `$1`, oldest first. */
  get load(): string {
    return `SELECT role, content, interrupted FROM ${this.turns} WHERE chat_id = $1 ORDER BY seq`;
  }

  /** Extends `$2`'s lease on `$1` to `$3` ms from now. */
  get renew(): string {
    return (
      `UPDATE ${this.chats} SET lease_until = now() + $3::double precision * interval '1 millisecond' ` +
      "WHERE id = $1 AND lease_owner = $2"
    );
  }

  /** Releases `$2`'s lease on `$1`. */
  get release(): string {
    return `UPDATE ${this.chats} SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2`;
  }

  /** Deletes `$1` when `$2` holds it and it has no turns. */
  get dropEmpty(): string {
    return `DELETE FROM ${this.chats} WHERE id = $1 AND lease_owner = $2 AND turn_count = 0`;
  }

  /**
   * Saves an exchange and releases the lease, in one statement, only if `$2` still holds `$1` and nobody wrote since
   * it was read (`next_seq` = `$3`): appends the turns of `$8` (a JSON array of `{ seq, role, content, interrupted }`)
   * after deleting the old ones when `$7` (a rewrite), and sets the counts (`$4` turns added, `$5` turns, `$6`
   * bytes). Returns `saved`: 1 when written, 0 when the lease was lost.
   */
  get save(): string {
    return (
      `WITH chat AS (UPDATE ${this.chats} SET next_seq = next_seq + $4::integer, turn_count = $5::integer, ` +
      "bytes = $6::integer, updated_at = now(), lease_owner = NULL, lease_until = NULL " +
      "WHERE id = $1 AND lease_owner = $2 AND next_seq = $3::integer RETURNING id), " +
      `gone AS (DELETE FROM ${this.turns} WHERE $7::boolean AND chat_id IN (SELECT id FROM chat)), ` +
      `added AS (INSERT INTO ${this.turns} (chat_id, seq, role, content, interrupted) ` +
      "SELECT chat.id, t.seq, t.role, t.content, t.interrupted FROM chat, " +
      "jsonb_to_recordset($8::jsonb) AS t(seq integer, role text, content text, interrupted boolean)) " +
      "SELECT count(*)::integer AS saved FROM chat"
    );
  }

  /** The turns of `$1` unless it expired (`$2` ms), oldest first; no rows for an unknown conversation. */
  get read(): string {
    return (
      `SELECT t.role, t.content, t.interrupted FROM ${this.chats} c LEFT JOIN ${this.turns} t ON t.chat_id = c.id ` +
      "WHERE c.id = $1 AND c.updated_at >= now() - $2::double precision * interval '1 millisecond' ORDER BY t.seq"
    );
  }

  /** Deletes conversation `$1` and its turns. */
  get remove(): string {
    return `DELETE FROM ${this.chats} WHERE id = $1`;
  }

  /** Deletes up to 1000 conversations unused for `$1` ms whose lease is not held; returns their ids. */
  get sweep(): string {
    return (
      `DELETE FROM ${this.chats} WHERE id IN (SELECT id FROM ${this.chats} ` +
      "WHERE updated_at < now() - $1::double precision * interval '1 millisecond' " +
      "AND (lease_until IS NULL OR lease_until < now()) LIMIT 1000) RETURNING id"
    );
  }
}

/** SQLSTATEs of two processes creating the same table at once (`CREATE TABLE IF NOT EXISTS` races in Postgres). */
const CREATE_RACE = new Set(["23505", "42P07"]);

/** Whether a setup failure is the race of another process creating the same objects (worth one more try). */
export function isCreateRace(error: unknown): boolean {
  if (error instanceof StreamdexError) return false;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && CREATE_RACE.has(code);
}
