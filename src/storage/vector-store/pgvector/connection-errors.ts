import {
  AuthenticationError,
  ProviderConnectionError,
  ProviderTimeoutError,
  redact,
  StreamdexError,
} from "../../../errors/index.js";

/** Where the connection goes, for error messages (never the password). */
export interface ConnectionTarget {
  host?: string;
  port?: number;
  password?: string;
}

/** What a runner knows when it explains a failure: the pool's limits and the statement timeout it applies. */
export interface ConnectionContext {
  /** The `pg` Pool's size and wait limit; `owned` when the store opened it (its `pool` option sets them). */
  pool?: { max: number; connectionTimeoutMillis: number; owned: boolean };
  /** The store's `statementTimeoutMs`, when set. */
  statementTimeoutMs?: number;
  /** Whether the next call gets a new connection (a pool does; a single `pg` Client cannot reconnect). */
  reconnects?: boolean;
}

/** Codes of a server that cannot be reached (nothing was sent). */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "57P03", // cannot_connect_now: the server is starting up or shutting down
]);

/** Codes of a connection that was open and is gone: admin_shutdown (pg_terminate_backend), crash_shutdown, class 08. */
const LOST_CODES = new Set(["ECONNRESET", "EPIPE", "57P01", "57P02", "08000", "08003", "08006"]);

/** `pg`'s own messages for a connection that is gone (they carry no code). */
const LOST_MESSAGE =
  /Connection terminated unexpectedly|encountered a connection error and is not queryable|terminating connection/i;
const UNREACHABLE_MESSAGE = /Connection terminated due to connection timeout|connect ETIMEDOUT/i;
/** pg-pool's message when no pooled client became free within `connectionTimeoutMillis`. */
const POOL_TIMEOUT_MESSAGE = /timeout exceeded when trying to connect/i;

function codeOf(error: unknown): string | undefined {
  const e = error as { code?: unknown; errors?: Array<{ code?: unknown }> } | null;
  if (typeof e?.code === "string") return e.code;
  const inner = e?.errors?.find((x) => typeof x?.code === "string")?.code;
  return typeof inner === "string" ? inner : undefined;
}

function messageOf(error: unknown, target: ConnectionTarget): string {
  const message = (error as { message?: unknown } | null)?.message;
  return redact(typeof message === "string" ? message : String(error), target.password);
}

function whereOf(target: ConnectionTarget): string {
  return `${target.host ?? "the configured host"}${target.port === undefined ? "" : `:${target.port}`}`;
}

/** Whether `error` says the connection is gone (or never came), so the client holding it must be discarded. */
export function isConnectionLoss(error: unknown): boolean {
  if (error instanceof ProviderConnectionError) return true;
  if (error instanceof StreamdexError) return false;
  const code = codeOf(error);
  const message = (error as { message?: unknown } | null)?.message;
  const text = typeof message === "string" ? message : "";
  return (
    (code !== undefined && (LOST_CODES.has(code) || UNREACHABLE_CODES.has(code))) ||
    LOST_MESSAGE.test(text) ||
    UNREACHABLE_MESSAGE.test(text)
  );
}

/**
 * SQLSTATE 57014 "canceling statement due to statement timeout" as a {@link ProviderTimeoutError} saying what timed
 * out and how to raise the limit; `undefined` for any other error. `where` names the server.
 */
export function statementTimeoutError(
  error: unknown,
  where: string,
  context: ConnectionContext = {},
): ProviderTimeoutError | undefined {
  if (codeOf(error) !== "57014") return undefined;
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message !== "string" || !/statement timeout/i.test(message)) return undefined;
  const limit =
    context.statementTimeoutMs === undefined
      ? "the server's statement_timeout"
      : `statementTimeoutMs: ${context.statementTimeoutMs} ms`;
  return new ProviderTimeoutError(
    `Postgres at ${where} canceled a statement that ran longer than ${limit} (${message}); nothing of it was ` +
      "written. Raise statementTimeoutMs (or the role's statement_timeout), or make the query cheaper (a more " +
      "selective filter, fewer rows per batch).",
    { provider: "postgres", providerCode: "57014", providerMessage: message, cause: error },
  );
}

function poolTimeoutError(error: unknown, where: string, context: ConnectionContext): ProviderTimeoutError {
  const pool = context.pool;
  const limits =
    pool === undefined
      ? "all connections of the pool were busy"
      : `all ${pool.max} connections of the pool were busy for ${pool.connectionTimeoutMillis} ms`;
  const fix =
    pool?.owned === false
      ? "raise max or connectionTimeoutMillis of the pg Pool passed as client"
      : "raise pool.max (up to what the server allows) or pool.connectionTimeoutMillis";
  return new ProviderTimeoutError(
    `No free Postgres connection to ${where}: ${limits}, and the call was not run. Lower the number of ` +
      `concurrent calls, or ${fix}.`,
    { provider: "postgres", providerMessage: messageOf(error, {}), cause: error },
  );
}

/**
 * Maps a `pg` failure to a typed error, provider `"postgres"`, host and port named, password redacted:
 * login refused → {@link AuthenticationError}; unreachable or lost connection (`57P01` "terminating connection due to
 * administrator command", a reset, "Connection terminated unexpectedly") → {@link ProviderConnectionError}; pool
 * exhausted or statement timeout → {@link ProviderTimeoutError}. Other errors pass unchanged.
 */
export function connectionError(
  error: unknown,
  target: ConnectionTarget,
  context: ConnectionContext = {},
): unknown {
  if (error instanceof StreamdexError) return error;
  const code = codeOf(error);
  const message = messageOf(error, target);
  const where = whereOf(target);
  if (code === "28P01" || code === "28000") {
    return new AuthenticationError(`Postgres at ${where} refused the login: ${message}`, {
      provider: "postgres",
      providerCode: code,
      providerMessage: message,
      cause: error,
    });
  }
  const timeout = statementTimeoutError(error, where, context);
  if (timeout !== undefined) return timeout;
  if (POOL_TIMEOUT_MESSAGE.test(message)) return poolTimeoutError(error, where, context);
  const reason = code === undefined ? message : code.startsWith("E") ? code : `${code} ${message}`;
  if ((code !== undefined && UNREACHABLE_CODES.has(code)) || UNREACHABLE_MESSAGE.test(message)) {
    return new ProviderConnectionError(
      `Could not reach Postgres at ${where} (${reason}): check that the server is running and the host/port in ` +
        "the connection settings.",
      { provider: "postgres", providerCode: code, providerMessage: message, cause: error },
    );
  }
  if ((code !== undefined && LOST_CODES.has(code)) || LOST_MESSAGE.test(message)) {
    return new ProviderConnectionError(
      `Lost the connection to Postgres at ${where} (${reason}): the server closed it (a restart, a failover or ` +
        "pg_terminate_backend) and an open transaction was rolled back, so nothing of the call was written. " +
        (context.reconnects === false
          ? "This pg Client cannot reconnect: pass a pg Pool or a connectionString."
          : "The next call reconnects."),
      { provider: "postgres", providerCode: code, providerMessage: message, cause: error },
    );
  }
  return error;
}
