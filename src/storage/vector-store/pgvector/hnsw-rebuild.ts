import { StreamdexError } from "../../../errors/index.js";

type Query = <R>(text: string, values?: unknown[]) => Promise<R[]>;

/** An index as the catalog describes it: its (qualified, quoted) name and its `CREATE INDEX` statement. */
export interface IndexDefinition {
  name: string;
  definition: string;
}

/**
 * The HNSW indexes of `table` when the table has no rows (as this transaction sees it), else `[]`. Dropping these
 * before a load and building them after is how pgvector recommends loading: one build beats a live insert per row.
 */
export async function hnswOfEmptyTable(q: Query, table: string): Promise<IndexDefinition[]> {
  const [row] = await q<{ filled: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${table}) AS filled`);
  if (row?.filled !== false) return [];
  return q<IndexDefinition>(
    "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition " +
      "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam " +
      "WHERE i.indrelid = $1::regclass AND a.amname = 'hnsw' ORDER BY c.relname",
    [table],
  );
}

/** Drops `indexes` (inside the caller's transaction: a rollback brings them back). */
export async function dropIndexes(q: Query, indexes: readonly IndexDefinition[]): Promise<void> {
  for (const index of indexes) await q(`DROP INDEX ${index.name}`);
}

/**
 * Recreates `indexes` from their definitions. With `maintenanceWorkMem` (e.g. `"512MB"`), first raises the
 * transaction's `maintenance_work_mem` to it when it is higher than the current setting, so the HNSW graph is
 * built in memory; a server that refuses the setting (a role that may not set it, a value past its limit) builds
 * with its own, and the transaction carries on (the `SET` runs in a savepoint).
 */
export async function buildIndexes(
  q: Query,
  indexes: readonly IndexDefinition[],
  maintenanceWorkMem: string | false,
): Promise<void> {
  if (indexes.length === 0) return;
  if (maintenanceWorkMem !== false) {
    await q("SAVEPOINT streamdex_maintenance_work_mem");
    try {
      await q(
        "SELECT set_config('maintenance_work_mem', $1, true) " +
          "WHERE pg_size_bytes($1) > pg_size_bytes(current_setting('maintenance_work_mem'))",
        [maintenanceWorkMem],
      );
      await q("RELEASE SAVEPOINT streamdex_maintenance_work_mem");
    } catch (error) {
      if (error instanceof StreamdexError) throw error; // a lost connection: nothing to carry on with
      await q("ROLLBACK TO SAVEPOINT streamdex_maintenance_work_mem");
    }
  }
  for (const index of indexes) await q(index.definition);
}
