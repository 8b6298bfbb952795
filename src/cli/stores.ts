import path from "node:path";
import { REDACTED, redactSecrets } from "../errors/redact.js";
import { type Env, UsageError } from "./models.js";

/** Where the command keeps the index's vectors. */
export type StoreKind = "simple" | "pglite" | "postgres" | "ann";

/** What the workspace manifest records about its store: enough to recognise it again, never a password. */
export interface StoreRecord {
  kind: StoreKind;
  /** `postgres`: the connection URL without password (normalised: `postgres://user@host:5432/db`). */
  url?: string;
  /** `pglite` / `postgres`: the schema-qualified table, e.g. `public.streamdex_nodes`. */
  table?: string;
  /** `pglite` / `postgres`: the dimensions of the table's vectors, once the first chunk is stored. */
  dimensions?: number;
}

/** The store a command runs with, from `--store` / `STREAMDEX_STORE` and `--table` / `STREAMDEX_TABLE`. */
export interface StoreChoice {
  kind: StoreKind;
  /** How the manifest records it (see {@link sameStore}). */
  record: StoreRecord;
  /** `postgres`: the connection string as given, password included. Never printed. */
  connectionString?: string;
  /** `pglite` / `postgres`: where the rows go. */
  schema: string;
  table: string;
}

/** The table the command uses unless `--table` says otherwise. */
export const DEFAULT_TABLE = "streamdex_nodes";
const DEFAULT_SCHEMA = "public";
const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/**
 * Parses `--store` (or `STREAMDEX_STORE`): `simple` (default: files in the index directory), `pglite` (embedded
 * Postgres in `<index dir>/pg`), `ann` (usearch HNSW in `<index dir>/ann`) or a `postgres://` / `postgresql://`
 * URL; `--table [schema.]name` (or `STREAMDEX_TABLE`) names the table of the Postgres stores.
 */
export function chooseStore(flags: { store?: string; table?: string }, env: Env): StoreChoice {
  const spec = (flags.store ?? env.STREAMDEX_STORE ?? "").trim() || "simple";
  const tableSpec = flags.table ?? env.STREAMDEX_TABLE;
  if (POSTGRES_URL.test(spec)) {
    const { schema, table } = parseTable(tableSpec);
    return {
      kind: "postgres",
      record: { kind: "postgres", url: identityUrl(spec), table: `${schema}.${table}` },
      connectionString: spec,
      schema,
      table,
    };
  }
  const kind = spec.toLowerCase();
  if (kind === "pglite") {
    const { schema, table } = parseTable(tableSpec);
    return { kind, record: { kind, table: `${schema}.${table}` }, schema, table };
  }
  if (kind === "simple" || kind === "ann") {
    if (flags.table !== undefined) {
      throw new UsageError(
        `--table applies to --store pglite and --store postgres://…, not --store ${kind}.`,
      );
    }
    return { kind, record: { kind }, schema: DEFAULT_SCHEMA, table: DEFAULT_TABLE };
  }
  throw new UsageError(
    `unknown store "${redactSecrets(spec)}". Use simple (default), pglite, ann or postgres://user@host:5432/db.`,
  );
}

/** Whether two records name the same store (dimensions aside). */
export function sameStore(a: StoreRecord, b: StoreRecord): boolean {
  return a.kind === b.kind && (a.url ?? "") === (b.url ?? "") && (a.table ?? "") === (b.table ?? "");
}

/** The flags that select the recorded store again, e.g. `--store postgres://app@db:5432/app --table x.y`. */
export function storeFlags(record: StoreRecord): string {
  const table =
    record.table !== undefined && record.table !== `${DEFAULT_SCHEMA}.${DEFAULT_TABLE}`
      ? ` --table ${record.table}`
      : "";
  return `--store ${record.kind === "postgres" ? record.url : record.kind}${table}`;
}

/**
 * The one-line announcement of a store on stderr (the password replaced by `[redacted]`), or undefined for the default
 * `simple` store, which says nothing (as before `--store` existed).
 */
export function storeNotice(choice: StoreChoice, dir: string): string | undefined {
  const table = `table ${choice.schema}.${choice.table}`;
  switch (choice.kind) {
    case "simple":
      return undefined;
    case "pglite":
      return `Store: PGlite (embedded Postgres with pgvector) in ${path.join(dir, "pg")}, ${table}.`;
    case "postgres":
      return `Store: Postgres ${displayUrl(choice.connectionString!)}, ${table} (pgvector).`;
    case "ann":
      return `Store: approximate nearest-neighbour index (usearch HNSW) in ${path.join(dir, "ann")}.`;
  }
}

/** `[schema.]name` of `--table`, checked against Postgres's limits. */
function parseTable(spec: string | undefined): { schema: string; table: string } {
  if (spec === undefined || spec.trim() === "") return { schema: DEFAULT_SCHEMA, table: DEFAULT_TABLE };
  const dot = spec.indexOf(".");
  const schema = dot < 0 ? DEFAULT_SCHEMA : spec.slice(0, dot);
  const table = dot < 0 ? spec : spec.slice(dot + 1);
  // The store appends up to 15 characters to the table's name for its indexes; Postgres names hold 63 bytes.
  if (schema === "" || table === "" || spec.includes("\0") || Buffer.byteLength(table) > 48) {
    throw new UsageError(
      `--table needs [schema.]name with a name of at most 48 bytes, got "${spec}" (e.g. --table rag.docs_nodes).`,
    );
  }
  return { schema, table };
}

function parseUrl(spec: string): URL {
  try {
    return new URL(spec);
  } catch {
    throw new UsageError(
      `--store: cannot read the Postgres URL "${redactSecrets(spec)}". Percent-encode special characters of the ` +
        "user and password, or leave the password out and set PGPASSWORD.",
    );
  }
}

/** The connection URL without password, normalised so that equivalent spellings compare equal. */
function identityUrl(spec: string): string {
  const url = parseUrl(spec);
  const identity = new URL(`postgres://${url.host}${url.pathname}`);
  identity.username = url.username;
  if (url.hostname !== "" && url.port === "") identity.port = "5432";
  for (const key of ["host", "port", "dbname", "user"]) {
    const value = url.searchParams.get(key);
    if (value !== null) identity.searchParams.set(key, value);
  }
  return identity.toString();
}

/** The connection URL as given, with `[redacted]` for the password (in the user info or a `password` parameter). */
export function displayUrl(spec: string): string {
  const url = parseUrl(spec);
  // A URL-safe stand-in (URL would percent-encode the brackets), swapped for the placeholder once serialised.
  const mark = "redacted-7f3c9a";
  if (url.password !== "") url.password = mark;
  for (const key of [...url.searchParams.keys()]) {
    if (/password/i.test(key)) url.searchParams.set(key, mark);
  }
  return url.toString().split(mark).join(REDACTED);
}

/**
 * The passwords a command line could carry, from `--store` (either spelling) and `STREAMDEX_STORE`, as given and
 * percent-decoded: what error messages must never show (pass them to `redactSecrets` with `minSecretLength: 4`).
 */
export function storeSecrets(argv: string[], env: Env): string[] {
  const specs = [env.STREAMDEX_STORE];
  argv.forEach((arg, i) => {
    if (arg === "--store") specs.push(argv[i + 1]);
    else if (arg.startsWith("--store=")) specs.push(arg.slice("--store=".length));
  });
  const secrets: string[] = [];
  for (const spec of specs) {
    if (spec === undefined) continue;
    const start = spec.indexOf("://");
    const at = spec.lastIndexOf("@");
    if (start < 0 || at < start) continue;
    const userInfo = spec.slice(start + 3, at);
    const colon = userInfo.indexOf(":");
    if (colon < 0) continue;
    const password = userInfo.slice(colon + 1);
    secrets.push(password);
    try {
      secrets.push(decodeURIComponent(password));
    } catch {
      // not percent-encoded: the raw form is enough
    }
  }
  for (const match of specs.join(" ").matchAll(/password=([^&\s]+)/gi)) secrets.push(match[1]!);
  return [...new Set(secrets)].filter((s) => s.length >= 4);
}
