import { StorageError } from "../errors/index.js";
import { quoteIdent } from "../storage/vector-store/pgvector/options.js";
import { poolRunner, type QueryRunner, storageError } from "../storage/vector-store/pgvector/query-runner.js";
import { UsageError } from "./models.js";
import type { StoreChoice } from "./stores.js";

/**
 * The columns of a `PgVectorStore` table (with full-text search's `text_search_tsv`, or made before it), or of a
 * `PgKeywordStore` table (no embedding): a table with other columns is not one the command may drop.
 */
const COLUMN_SETS = [
  "embedding,id,metadata,node_info,ref_doc_id,text",
  "embedding,id,metadata,node_info,ref_doc_id,text,text_search_tsv",
  "id,metadata,node_info,ref_doc_id,text,text_search_tsv",
];

interface TableState {
  exists: boolean;
  /** Whether it has exactly a PgVectorStore's columns (so streamdex made it). */
  ours: boolean;
  hasRows: boolean;
}

/**
 * Checks a Postgres server before a new index is written to it (so that no embedding work is spent first): it is
 * reachable, it has pgvector (unless `keywordOnly`: an index without embeddings needs none), and the table is
 * missing or an empty streamdex table. A table holding rows that this index does not list (another index's, or one
 * whose directory was deleted) is refused with a usage error.
 */
export async function checkPostgresTable(
  choice: StoreChoice,
  dir: string,
  options: { keywordOnly?: boolean } = {},
): Promise<void> {
  await withRunner(choice, async (runner, table) => {
    if (options.keywordOnly) return checkRows(runner, table, dir);
    const [ext] = await runner.query<{ installed: boolean; available: boolean }>(
      "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AS installed, " +
        "EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') AS available",
    );
    if (!ext?.installed && !ext?.available) {
      throw new StorageError(
        `the Postgres server at ${serverOf(choice)} does not have the pgvector extension: install pgvector ` +
          "(https://github.com/pgvector/pgvector) on the server and run `CREATE EXTENSION vector`, or use --store pglite.",
      );
    }
    await checkRows(runner, table, dir);
  });
}

async function checkRows(runner: QueryRunner, table: string, dir: string): Promise<void> {
  const state = await inspect(runner, table);
  if (state.exists && !state.ours) throw notOurs(table, "store the index in it");
  if (state.hasRows) {
    throw new UsageError(
      `the table ${table} already holds chunks that the index in ${dir} does not list (another index's, or one ` +
        "whose directory was deleted): pass --rebuild to replace them, or --table <name> for a table of its own.",
    );
  }
}

/**
 * `--rebuild` on a Postgres server: drops the table (and with it its indexes), but only when it has exactly the
 * columns of a streamdex table; any other table of that name is refused and left alone.
 */
export async function dropPostgresTable(choice: StoreChoice): Promise<void> {
  await withRunner(choice, async (runner, table) => {
    const state = await inspect(runner, table);
    if (!state.exists) return;
    if (!state.ours) throw notOurs(table, "drop it for --rebuild");
    await sql(`could not drop ${table}`, () => runner.query(`DROP TABLE ${table}`));
  });
}

async function withRunner(
  choice: StoreChoice,
  fn: (runner: QueryRunner, table: string) => Promise<void>,
): Promise<void> {
  const runner = await poolRunner(choice.connectionString!);
  const table = `${quoteIdent(choice.schema)}.${quoteIdent(choice.table)}`;
  try {
    await fn(runner, table);
  } finally {
    await runner.close().catch(() => undefined);
  }
}

async function inspect(runner: QueryRunner, table: string): Promise<TableState> {
  const columns = await sql(`could not look up ${table}`, () =>
    runner.query<{ name: string; type: string }>(
      "SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute " +
        "WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
      [table],
    ),
  );
  if (columns.length === 0) return { exists: false, ours: false, hasRows: false };
  const names = columns.map((c) => c.name).sort();
  const embedding = columns.find((c) => c.name === "embedding");
  const ours =
    COLUMN_SETS.includes(names.join(",")) &&
    (embedding === undefined || /^vector\(\d+\)$/.test(embedding.type));
  if (!ours) return { exists: true, ours, hasRows: false };
  const [row] = await sql(`could not read ${table}`, () =>
    runner.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${table}) AS any`),
  );
  return { exists: true, ours, hasRows: row?.any === true };
}

async function sql<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw storageError(what, error);
  }
}

function notOurs(table: string, what: string): StorageError {
  return new StorageError(
    `the table ${table} exists and is not a streamdex table (its columns differ), so the command will not ` +
      `${what}: choose another --table.`,
  );
}

function serverOf(choice: StoreChoice): string {
  try {
    const url = new URL(choice.connectionString!);
    return `${url.hostname || "localhost"}:${url.port || 5432}`;
  } catch {
    return "the configured host";
  }
}
