import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import pg from "pg";

/** A PGlite served over the Postgres wire protocol on 127.0.0.1, which tests stop and start again on its port. */
export class PgSocket {
  /** `db`: the PGlite to serve (default: a new one, without extensions). */
  constructor(readonly db: PGlite = new PGlite()) {}

  #server: PGLiteSocketServer | undefined;
  #port = 0;
  readonly #pools: pg.Pool[] = [];

  /** Starts serving (again, on the same port after a {@link PgSocket.stop}). */
  async start(): Promise<void> {
    const server = new PGLiteSocketServer({
      db: this.db,
      port: this.#port,
      host: "127.0.0.1",
      maxConnections: 64,
    });
    await server.start();
    this.#server = server;
    this.#port = Number(server.getServerConn().split(":")[1]);
  }

  /** Stops serving: open connections are cut, new ones refused. */
  async stop(): Promise<void> {
    await this.#server?.stop();
    this.#server = undefined;
  }

  get port(): number {
    return this.#port;
  }

  /** A connection string with a password (which no error may show). */
  url(password = "s3cret-Pa55word"): string {
    return `postgres://streamdex:${password}@127.0.0.1:${this.#port}/postgres`;
  }

  /** A `pg` Pool to it (closed by {@link PgSocket.close}); idle clients cut by a stop are dropped quietly. */
  pool(max = 2): pg.Pool {
    const pool = new pg.Pool({
      host: "127.0.0.1",
      port: this.#port,
      user: "postgres",
      database: "postgres",
      max,
      idleTimeoutMillis: 1000,
    });
    pool.on("error", () => undefined);
    this.#pools.push(pool);
    return pool;
  }

  /** Rows of a statement, straight from the database. */
  async rows<R>(sql: string, values?: unknown[]): Promise<R[]> {
    return (await this.db.query<R>(sql, values)).rows;
  }

  async close(): Promise<void> {
    for (const pool of this.#pools) await pool.end().catch(() => undefined);
    await this.stop();
    await this.db.close();
  }
}

/** The stored turns of a conversation, in order, as `role:content` (`!` after an interrupted one). */
export async function storedTurns(
  socket: PgSocket,
  id: string,
  table = "streamdex_chats_turns",
): Promise<string[]> {
  const rows = await socket.rows<{ role: string; content: string; interrupted: boolean }>(
    `SELECT role, content, interrupted FROM ${table} WHERE chat_id = $1 ORDER BY seq`,
    [id],
  );
  return rows.map((r) => `${r.role}:${r.content}${r.interrupted ? "!" : ""}`);
}
