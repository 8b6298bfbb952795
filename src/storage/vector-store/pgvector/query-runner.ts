import { ProviderConnectionError, StorageError, StreamdexError } from "../../../errors/index.js";
import { messageOf } from "../../../errors/message-of.js";
import { optionalPeer } from "../../../utils/optional-peer.js";
import {
  type ConnectionContext,
  type ConnectionTarget,
  connectionError,
  isConnectionLoss,
  statementTimeoutError,
} from "./connection-errors.js";
import { DEFAULT_POOL_OPTIONS, type PgPoolOptions } from "./connection-options.js";

export { type ConnectionTarget, connectionError };

/** Anything with a Postgres-style `query(text, params)` resolving to `{ rows }`: a `pg` Client/PoolClient, PGlite. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** A `pg` `Pool` (checked out per transaction) or a connected `pg` `Client` (used one call at a time). */
export interface PgClientLike extends PgQueryable {
  connect?: (...args: never[]) => unknown;
}

/** A PGlite instance (in-process Postgres), e.g. `new PGlite({ extensions: { vector } })`. */
export interface PGliteLike extends PgQueryable {
  transaction<T>(callback: (tx: PgQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** What the store runs SQL through: one abstraction over `pg` pools, `pg` clients and PGlite. */
export interface QueryRunner {
  /** Rows of one statement. */
  query<R>(text: string, values?: unknown[]): Promise<R[]>;
  /**
   * Runs `fn` inside `BEGIN … COMMIT` on one connection; any error rolls back and is rethrown. `conn` is that
   * connection itself (a `pg` client, a PGlite transaction), for what `q` cannot do: `COPY` streams and blobs.
   */
  transaction<T>(
    fn: (q: <R>(text: string, values?: unknown[]) => Promise<R[]>, conn: PgQueryable) => Promise<T>,
  ): Promise<T>;
  /** What the SQL goes to: in-process PGlite, or a server reached through `pg` (absent: unknown). */
  readonly kind?: "pglite" | "pg";
  /** Closes what the runner owns (a pool it created, an embedded PGlite). */
  close(): Promise<void>;
}

type PgModule = typeof import("pg");
const pgPeer = optionalPeer<PgModule>("pg", "streamdex/pgvector", () => import("pg"));

/** How a runner applies the store's connection settings. */
export interface RunnerSettings {
  /** `SET LOCAL statement_timeout` in each call's transaction (unless `sessionTimeout`). */
  statementTimeoutMs?: number;
  /** The sessions already have the timeout (`SET` when the runner's own pool opened them). */
  sessionTimeout?: boolean;
}

type PoolClientLike = PgQueryable & { release(error?: Error | boolean): void };
type RunQuery = <R>(text: string, values?: unknown[]) => Promise<R[]>;
type ErrorListener = (error: unknown) => void;
type ErrorEmitter = {
  on?: (event: "error", listener: ErrorListener) => unknown;
  removeListener?: (event: "error", listener: ErrorListener) => unknown;
};

/**
 * Listens for `error` on a connection while the runner holds it: `pg` emits one when the connection drops (a server
 * restart, `pg_terminate_backend`), which with no listener crashes the process. A dropped connection keeps the
 * listener (it is discarded); a healthy one has it removed by `stop()`.
 */
function watch(conn: unknown): { readonly lost: unknown; stop(): void } {
  const emitter = conn as ErrorEmitter;
  let lost: unknown;
  const listener: ErrorListener = (error) => {
    lost ??= error;
  };
  emitter.on?.("error", listener);
  return {
    get lost() {
      return lost;
    },
    stop() {
      if (lost === undefined) emitter.removeListener?.("error", listener);
    },
  };
}

function runOn(target: PgQueryable, wrap: (error: unknown) => unknown): RunQuery {
  return async <R>(text: string, values?: unknown[]) => {
    try {
      return (await target.query(text, values)).rows as R[];
    } catch (error) {
      throw wrap(error);
    }
  };
}

/** A runner over a PGlite instance; `owned` instances are closed by `close()`. */
export function pgliteRunner(db: PGliteLike, owned: boolean, settings: RunnerSettings = {}): QueryRunner {
  const context = { statementTimeoutMs: settings.statementTimeoutMs };
  const wrap = (error: unknown) => statementTimeoutError(error, "PGlite (in-process)", context) ?? error;
  const local = settings.statementTimeoutMs;
  const transaction: QueryRunner["transaction"] = (fn) =>
    db.transaction(async (tx) => {
      const run = runOn(tx, wrap);
      if (local !== undefined) await run(`SET LOCAL statement_timeout = ${local}`);
      return fn(run, tx);
    });
  const direct = runOn(db, wrap);
  return {
    // Only a real PGlite takes `COPY … FROM '/dev/blob'` (a third `{ blob }` argument); a wrapper that passes on
    // just (text, values) would leave that COPY waiting for data, so it loads through plain statements instead.
    kind: typeof (db as { execProtocol?: unknown }).execProtocol === "function" ? "pglite" : undefined,
    query: (text, values) =>
      local === undefined ? direct(text, values) : transaction((q) => q(text, values)),
    transaction,
    close: async () => {
      if (owned) await db.close();
    },
  };
}

/** The size and wait limit of a `pg` Pool (`options.max`, default 10; `options.connectionTimeoutMillis`). */
function poolLimits(pool: unknown, owned: boolean): ConnectionContext["pool"] {
  const options = (pool as { options?: { max?: unknown; connectionTimeoutMillis?: unknown } }).options;
  const max = typeof options?.max === "number" ? options.max : 10;
  const wait = options?.connectionTimeoutMillis;
  return { max, connectionTimeoutMillis: typeof wait === "number" ? wait : 0, owned };
}

/**
 * A runner over a `pg` Pool or Client (`owned`: created from a connection string, ended by `close()`). A pooled
 * connection that drops mid-call is discarded (released with the error), the call rejects with
 * `ProviderConnectionError`, and the next call takes a new connection.
 */
export function pgRunner(
  client: PgClientLike,
  owned: boolean,
  target: ConnectionTarget,
  settings: RunnerSettings = {},
): QueryRunner {
  const isPool = typeof (client as { totalCount?: unknown }).totalCount === "number";
  const context: ConnectionContext = {
    pool: isPool ? poolLimits(client, owned) : undefined,
    statementTimeoutMs: settings.statementTimeoutMs,
    reconnects: isPool,
  };
  const wrap = (error: unknown) => connectionError(error, target, context);
  const local = settings.sessionTimeout === true ? undefined : settings.statementTimeoutMs;
  let queue: Promise<unknown> = Promise.resolve();
  /** A single Client runs one call at a time, so a transaction never interleaves with another call. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    if (isPool) return fn();
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  /** Runs `fn` on `conn` with its drops watched: a drop's error explains whatever failed after it. */
  const holding = async <T>(conn: PgQueryable, fn: (run: RunQuery, lost: () => unknown) => Promise<T>) => {
    const watcher = watch(conn);
    const run: RunQuery = async <R>(text: string, values?: unknown[]) => {
      try {
        return (await conn.query(text, values)).rows as R[];
      } catch (error) {
        throw wrap(watcher.lost ?? error);
      }
    };
    try {
      return await fn(run, () => watcher.lost);
    } finally {
      watcher.stop();
    }
  };
  const transaction: QueryRunner["transaction"] = (fn) =>
    serial(async () => {
      let conn: PgQueryable = client;
      if (isPool) {
        try {
          conn = (await (
            client as unknown as { connect(): Promise<PoolClientLike> }
          ).connect()) as PgQueryable;
        } catch (error) {
          throw wrap(error);
        }
      }
      let discard = false;
      try {
        return await holding(conn, async (run, lost) => {
          try {
            await run(local === undefined ? "BEGIN" : `BEGIN; SET LOCAL statement_timeout = ${local}`);
            const result = await fn(run, conn);
            await run("COMMIT");
            return result;
          } catch (error) {
            discard = lost() !== undefined || isConnectionLoss(error);
            if (!discard) {
              await run("ROLLBACK").catch(() => {
                discard = true;
              });
            }
            const cause = lost();
            throw cause !== undefined && !(error instanceof ProviderConnectionError) ? wrap(cause) : error;
          }
        });
      } finally {
        // Released with an error, the pool closes the connection instead of handing it out again.
        if (isPool) (conn as PoolClientLike).release(discard);
      }
    });
  const direct: RunQuery = (text, values) =>
    isPool ? runOn(client, wrap)(text, values) : holding(client, (run) => run(text, values));
  return {
    kind: "pg",
    query: (text, values) =>
      local === undefined ? serial(() => direct(text, values)) : transaction((q) => q(text, values)),
    transaction,
    close: async () => {
      if (owned) await (client as unknown as { end(): Promise<void> }).end();
    },
  };
}

/**
 * Opens a `pg` Pool for `connectionString` (lazily imports `pg`), sized by `pool` (bounded waits by default); with
 * `statementTimeoutMs`, each of its connections starts with `SET statement_timeout`.
 */
export async function poolRunner(
  connectionString: string,
  settings: { pool?: PgPoolOptions; statementTimeoutMs?: number } = {},
): Promise<QueryRunner> {
  const pg = await pgPeer.load();
  const Pool = pg.Pool ?? (pg as unknown as { default: PgModule }).default.Pool;
  const pool = new Pool({ connectionString, ...DEFAULT_POOL_OPTIONS, ...settings.pool });
  // An idle client's network error would otherwise crash the process; the next query reports it.
  pool.on("error", () => undefined);
  const timeout = settings.statementTimeoutMs;
  if (timeout !== undefined) {
    // Queued before the first query the new connection runs; a failure shows in that query.
    pool.on("connect", (conn) => {
      conn.query(`SET statement_timeout = ${timeout}`).catch(() => undefined);
    });
  }
  return pgRunner(pool as unknown as PgClientLike, true, parseTarget(connectionString), {
    statementTimeoutMs: timeout,
    sessionTimeout: true,
  });
}

/** Host, port and password of a `postgres://` URL (best effort; `{}` for other forms). */
export function parseTarget(connectionString: string): ConnectionTarget {
  try {
    const url = new URL(connectionString);
    return {
      host: url.hostname || undefined,
      port: url.port === "" ? 5432 : Number(url.port),
      password: url.password === "" ? undefined : decodeURIComponent(url.password),
    };
  } catch {
    return {};
  }
}

/** Host/port/password read from a `pg` Pool (`options`) or Client (`host`, `port`). */
export function targetOf(client: unknown): ConnectionTarget {
  const c = client as {
    options?: { host?: unknown; port?: unknown; password?: unknown; connectionString?: unknown };
    host?: unknown;
    port?: unknown;
    password?: unknown;
  };
  if (typeof c.options?.connectionString === "string") return parseTarget(c.options.connectionString);
  const source = c.options ?? c;
  return {
    host: typeof source.host === "string" ? source.host : undefined,
    port: typeof source.port === "number" ? source.port : Number(source.port) || undefined,
    password: typeof source.password === "string" ? source.password : undefined,
  };
}

/** Wraps a database error as a {@link StorageError} (`what` failed: …), keeping typed streamdex errors as they are. */
export function storageError(what: string, error: unknown): Error {
  if (error instanceof StreamdexError) return error;
  const message = messageOf(error);
  return new StorageError(`${what}: ${message}`, { cause: error });
}
