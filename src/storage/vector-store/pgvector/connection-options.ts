import { InvalidArgumentError } from "../../../errors/index.js";
import { describe } from "../../../utils/validate.js";

/** The `pg` Pool a store opens from `connectionString` (the names are `pg`'s own). */
export interface PgPoolOptions {
  /** Most connections open at once (default 10). Calls beyond it wait for a free one. */
  max?: number;
  /**
   * How long a call waits for a free connection, or for a new one to open, before it fails with
   * `ProviderTimeoutError` (pool exhausted) or `ProviderConnectionError` (server unreachable). Milliseconds, default
   * 10 000; always bounded.
   */
  connectionTimeoutMillis?: number;
  /** An unused connection is closed after this long (ms, default 10 000). */
  idleTimeoutMillis?: number;
}

/** Connection settings shared by `PgVectorStore` and `PgChatStore`. */
export interface PgConnectionSettings {
  /** Sizes and timeouts of the pool the store opens; only with `connectionString` (configure your own Pool). */
  pool?: PgPoolOptions;
  /**
   * Cancels any statement of the store that runs longer than this (ms), with `ProviderTimeoutError`. On the pool
   * the store opens, `SET statement_timeout` per connection; on a `client` or `pglite` passed in, `SET LOCAL` in
   * each call's transaction, so the caller's sessions keep their own setting. PGlite cannot cancel a running
   * statement, so there it has no effect. Default: none (the server's `statement_timeout`).
   */
  statementTimeoutMs?: number;
}

/** Validated {@link PgConnectionSettings}. */
export interface ResolvedConnectionSettings {
  pool: Required<PgPoolOptions>;
  statementTimeoutMs: number | undefined;
}

/** Defaults of {@link PgPoolOptions}. */
export const DEFAULT_POOL_OPTIONS: Readonly<Required<PgPoolOptions>> = {
  max: 10,
  connectionTimeoutMillis: 10_000,
  idleTimeoutMillis: 10_000,
};

/** Postgres' `statement_timeout` is an int of milliseconds. */
const MAX_MS = 2_147_483_647;

function positive(name: string, value: unknown, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(name, `expected an integer from 1 to ${max}, got ${describe(value)}.`);
  }
  return value;
}

/**
 * Validates {@link PgConnectionSettings}; throws {@link InvalidArgumentError} naming the field (a `pool` with a
 * `client` or `pglite` passed in, which the store does not size).
 */
export function resolveConnectionSettings(
  options: PgConnectionSettings & { connectionString?: unknown },
): ResolvedConnectionSettings {
  const pool = options.pool;
  if (pool !== undefined) {
    if (pool === null || typeof pool !== "object") {
      throw new InvalidArgumentError(
        "pool",
        `expected { max?, connectionTimeoutMillis?, idleTimeoutMillis? }, got ${describe(pool)}.`,
      );
    }
    if (options.connectionString === undefined) {
      throw new InvalidArgumentError(
        "pool",
        "it sizes the pool the store opens from connectionString; with a client or pglite passed in, set max " +
          "and connectionTimeoutMillis on your own pg Pool instead.",
      );
    }
  }
  const p = pool ?? {};
  return {
    pool: {
      max: positive("pool.max", p.max, 10_000, DEFAULT_POOL_OPTIONS.max),
      connectionTimeoutMillis: positive(
        "pool.connectionTimeoutMillis",
        p.connectionTimeoutMillis,
        MAX_MS,
        DEFAULT_POOL_OPTIONS.connectionTimeoutMillis,
      ),
      idleTimeoutMillis: positive(
        "pool.idleTimeoutMillis",
        p.idleTimeoutMillis,
        MAX_MS,
        DEFAULT_POOL_OPTIONS.idleTimeoutMillis,
      ),
    },
    statementTimeoutMs:
      options.statementTimeoutMs === undefined
        ? undefined
        : positive("statementTimeoutMs", options.statementTimeoutMs, MAX_MS, 0),
  };
}
