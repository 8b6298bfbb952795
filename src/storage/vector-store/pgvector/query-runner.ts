import {
  AuthenticationError,
  ProviderConnectionError,
  redact,
  StorageError,
  StreamdexError,
} from "../../../errors/index.js";
import { optionalPeer } from "../../../utils/optional-peer.js";

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

/** Where the connection goes, for error messages (never the password). */
export interface ConnectionTarget {
  host?: string;
  port?: number;
  password?: string;
}

type PoolClientLike = PgQueryable & { release(error?: Error | boolean): void };
type RunQuery = <R>(text: string, values?: unknown[]) => Promise<R[]>;

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
export function pgliteRunner(db: PGliteLike, owned: boolean): QueryRunner {
  const wrap = (error: unknown) => error;
  return {
    kind: "pglite",
    query: runOn(db, wrap),
    transaction: (fn) => db.transaction((tx) => fn(runOn(tx, wrap), tx)),
    close: async () => {
      if (owned) await db.close();
    },
  };
}

/** A runner over a `pg` Pool or Client (`owned`: created from a connection string, ended by `close()`). */
export function pgRunner(client: PgClientLike, owned: boolean, target: ConnectionTarget): QueryRunner {
  const wrap = (error: unknown) => connectionError(error, target);
  const isPool = typeof (client as { totalCount?: unknown }).totalCount === "number";
  let queue: Promise<unknown> = Promise.resolve();
  /** A single Client runs one call at a time, so a transaction never interleaves with another call. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    if (isPool) return fn();
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  const direct = runOn(client, wrap);
  return {
    kind: "pg",
    query: (text, values) => serial(() => direct(text, values)),
    transaction: (fn) =>
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
        const run = runOn(conn, wrap);
        let failure: unknown;
        try {
          await run("BEGIN");
          const result = await fn(run, conn);
          await run("COMMIT");
          return result;
        } catch (error) {
          failure = error;
          await run("ROLLBACK").catch(() => undefined);
          throw error;
        } finally {
          if (isPool) (conn as PoolClientLike).release(failure instanceof ProviderConnectionError);
        }
      }),
    close: async () => {
      if (owned) await (client as unknown as { end(): Promise<void> }).end();
    },
  };
}

/** Opens a `pg` Pool for `connectionString` (lazily imports `pg`). */
export async function poolRunner(connectionString: string): Promise<QueryRunner> {
  const pg = await pgPeer.load();
  const Pool = pg.Pool ?? (pg as unknown as { default: PgModule }).default.Pool;
  const pool = new Pool({ connectionString, connectionTimeoutMillis: 10_000 });
  // An idle client's network error would otherwise crash the process; the next query reports it.
  pool.on("error", () => undefined);
  return pgRunner(pool as unknown as PgClientLike, true, parseTarget(connectionString));
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

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);

/**
 * Maps a `pg` failure to reach or log in to the server to {@link ProviderConnectionError} /
 * {@link AuthenticationError} (provider `"postgres"`, host and port named, password redacted); other errors pass.
 */
export function connectionError(error: unknown, target: ConnectionTarget): unknown {
  if (error instanceof StreamdexError) return error;
  const e = error as { code?: unknown; message?: unknown; errors?: Array<{ code?: unknown }> } | null;
  const code =
    typeof e?.code === "string" ? e.code : e?.errors?.find((x) => typeof x?.code === "string")?.code;
  const message = redact(typeof e?.message === "string" ? e.message : String(error), target.password);
  const where = `${target.host ?? "the configured host"}${target.port === undefined ? "" : `:${target.port}`}`;
  if (code === "28P01" || code === "28000") {
    return new AuthenticationError(`Postgres at ${where} refused the login: ${message}`, {
      provider: "postgres",
      providerCode: code,
      providerMessage: message,
      cause: error,
    });
  }
  const lost = /Connection terminated|timeout exceeded when trying to connect|connect ETIMEDOUT/i.test(
    message,
  );
  if ((typeof code === "string" && CONNECTION_CODES.has(code)) || lost) {
    return new ProviderConnectionError(
      `Could not reach Postgres at ${where} (${typeof code === "string" ? code : message}): check that the ` +
        "server is running and the host/port in the connection settings.",
      { provider: "postgres", providerCode: typeof code === "string" ? code : undefined, cause: error },
    );
  }
  return error;
}

/** Wraps a database error as a {@link StorageError} (`what` failed: …), keeping typed streamdex errors as they are. */
export function storageError(what: string, error: unknown): Error {
  if (error instanceof StreamdexError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StorageError(`${what}: ${message}`, { cause: error });
}
