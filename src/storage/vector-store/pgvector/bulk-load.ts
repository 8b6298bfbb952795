import { throwIfAborted } from "../../../utils/abort.js";
import type { VectorStoreAddOptions, VectorStoreAddProgress } from "../types.js";
import { type NodeRow, ROW_COLUMNS, vectorLiteral } from "./copy-rows.js";
import { buildIndexes, dropIndexes, hnswOfEmptyTable } from "./hnsw-rebuild.js";
import type { ResolvedOptions } from "./options.js";
import { type QueryRunner, storageError } from "./query-runner.js";
import { SqlParams } from "./sql-filters.js";
import {
  fillStaging,
  STAGING_NAME,
  STAGING_TABLE,
  type StagingMethod,
  stagingMethod,
} from "./staging-load.js";

/** SQLSTATEs after which the same transaction, run again, may succeed: deadlock, serialization failure. */
const RETRYABLE = new Set(["40P01", "40001"]);

const UPSERT =
  "ON CONFLICT (id) DO UPDATE SET ref_doc_id = EXCLUDED.ref_doc_id, text = EXCLUDED.text, " +
  "metadata = EXCLUDED.metadata, node_info = EXCLUDED.node_info, embedding = EXCLUDED.embedding";

/** Whether `error` (or an error it wraps) is a deadlock or serialization failure. */
export function isRetryable(error: unknown): boolean {
  for (let e = error, depth = 0; e !== null && typeof e === "object" && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && RETRYABLE.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Writes a `PgVectorStore`'s rows, upserting by id, each `write` in one transaction (all or nothing), rows in id
 * order (a stable lock order between concurrent writers), retried once on a deadlock or serialization failure.
 *
 * Small writes are multi-row `INSERT … ON CONFLICT` statements. From `bulk.threshold` rows on, rows go through a
 * temporary staging table ({@link fillStaging}: `COPY` where the database can take it) and one
 * `INSERT … SELECT … ON CONFLICT`; when the table was empty, its HNSW indexes are dropped first and built once
 * after the load (with `maintenance_work_mem` raised), and after the commit the table is `ANALYZE`d (PGlite never
 * autovacuums, so without it the planner knows nothing of the rows).
 */
export class RowWriter {
  private method: Promise<StagingMethod> | undefined;
  /** Inside a load of several writes (between deferIndexes and finishLoad): finishLoad analyses, once. */
  private inLoad = false;

  constructor(
    private readonly runner: QueryRunner,
    private readonly table: string,
    private readonly options: ResolvedOptions,
  ) {}

  /** Upserts `rows` (unique ids, sorted by id). */
  async write(rows: readonly NodeRow[], options: VectorStoreAddOptions = {}): Promise<void> {
    const { signal } = options;
    throwIfAborted(signal);
    const bulk = this.options.bulk;
    const large = bulk !== false && rows.length >= bulk.threshold;
    const once = () => (large ? this.bulkWrite(rows, options) : this.insertWrite(rows, options));
    try {
      await once();
    } catch (error) {
      if (!isRetryable(error) || signal?.aborted) throw error;
      await once();
    }
    if (large && !this.inLoad) await this.analyze(rows.length, options);
  }

  private async insertWrite(
    rows: readonly NodeRow[],
    { signal, onProgress }: VectorStoreAddOptions,
  ): Promise<void> {
    const size = this.options.batchSize;
    const batches = Math.ceil(rows.length / size);
    try {
      await this.runner.transaction(async (q) => {
        for (let b = 0; b < batches; b++) {
          throwIfAborted(signal);
          const batch = rows.slice(b * size, (b + 1) * size);
          const params = new SqlParams();
          const values = batch.map(
            (row) =>
              `(${params.add(row[0])}, ${params.add(row[1])}, ${params.add(row[2])}, ${params.add(row[3])}::jsonb, ` +
              `${params.add(row[4])}::jsonb, ${params.add(vectorLiteral(row[5]))}::vector)`,
          );
          try {
            await q(
              `INSERT INTO ${this.table} (${ROW_COLUMNS.join(", ")}) VALUES ${values.join(", ")} ${UPSERT}`,
              params.values,
            );
          } catch (error) {
            throw storageError(
              `could not write nodes "${batch[0]![0]}"…"${batch.at(-1)![0]}" (batch ${b + 1} of ${batches}) to ` +
                `${this.table}; the transaction was rolled back, nothing was written`,
              error,
            );
          }
          onProgress?.({ phase: "load", done: Math.min(rows.length, (b + 1) * size), total: rows.length });
        }
        throwIfAborted(signal);
      });
    } catch (error) {
      throw storageError(`could not write to ${this.table}; nothing was written`, error);
    }
  }

  private async bulkWrite(
    rows: readonly NodeRow[],
    { signal, onProgress }: VectorStoreAddOptions,
  ): Promise<void> {
    const bulk = this.options.bulk as Exclude<ResolvedOptions["bulk"], false>;
    const total = rows.length;
    const report = (phase: VectorStoreAddProgress["phase"], done: number) =>
      onProgress?.({ phase, done, total });
    try {
      const method = await this.stagingMethod();
      await this.runner.transaction(async (q, conn) => {
        const hnsw = await hnswOfEmptyTable(q, this.table);
        await dropIndexes(q, hnsw);
        await q(`CREATE TEMP TABLE ${STAGING_NAME} (LIKE ${this.table} INCLUDING DEFAULTS) ON COMMIT DROP`);
        await fillStaging({
          method,
          q,
          conn,
          rows,
          chunkSize: bulk.chunkSize,
          signal,
          onRows: (done) => report("load", done),
        });
        const columns = ROW_COLUMNS.join(", ");
        await q(
          `INSERT INTO ${this.table} (${columns}) SELECT ${columns} FROM ${STAGING_TABLE} ORDER BY id COLLATE "C" ` +
            UPSERT,
        );
        throwIfAborted(signal);
        if (hnsw.length > 0) {
          report("index", 0);
          await buildIndexes(q, hnsw, bulk.maintenanceWorkMem);
          report("index", total);
        }
        throwIfAborted(signal);
      });
    } catch (error) {
      throw storageError(
        `could not load ${total} nodes ("${rows[0]![0]}"…"${rows.at(-1)![0]}") into ${this.table}; the ` +
          "transaction was rolled back, nothing was written",
        error,
      );
    }
  }

  /**
   * Starts a load that spans several writes (each committed on its own): when the table has no rows, drops its
   * HNSW indexes, so that the writes load without them; {@link finishLoad} builds the index once at the end.
   * Returns whether it dropped any.
   */
  async deferIndexes(): Promise<boolean> {
    this.inLoad = true;
    try {
      return await this.runner.transaction(async (q) => {
        const hnsw = await hnswOfEmptyTable(q, this.table);
        await dropIndexes(q, hnsw);
        return hnsw.length > 0;
      });
    } catch (error) {
      throw storageError(`could not prepare ${this.table} for a bulk load`, error);
    }
  }

  /**
   * Ends a load: builds the HNSW index of `createSql` when the table has none (after {@link deferIndexes}, or a
   * load that stopped before its end), with `maintenance_work_mem` raised, then `ANALYZE`s the table.
   */
  async finishLoad(createSql: string | undefined, options: VectorStoreAddOptions = {}): Promise<void> {
    this.inLoad = false;
    const [row] = await this.runner.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.table}`);
    const total = Number(row?.n ?? 0);
    if (createSql !== undefined) {
      try {
        await this.runner.transaction(async (q) => {
          const [present] = await q<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid " +
              "JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid = $1::regclass AND a.amname = 'hnsw'",
            [this.table],
          );
          if (Number(present?.n ?? 0) > 0) return;
          throwIfAborted(options.signal);
          options.onProgress?.({ phase: "index", done: 0, total });
          const memory = this.options.bulk === false ? false : this.options.bulk.maintenanceWorkMem;
          await buildIndexes(q, [{ name: "", definition: createSql }], memory);
          options.onProgress?.({ phase: "index", done: total, total });
        });
      } catch (error) {
        throw storageError(`could not build the HNSW index of ${this.table}`, error);
      }
    }
    await this.analyze(total, options);
  }

  /** Refreshes the planner's statistics after a bulk load (best effort: the rows are already committed). */
  private async analyze(total: number, { onProgress }: VectorStoreAddOptions): Promise<void> {
    onProgress?.({ phase: "analyze", done: 0, total });
    await this.runner.query(`ANALYZE ${this.table}`).catch(() => undefined);
    onProgress?.({ phase: "analyze", done: total, total });
  }

  private stagingMethod(): Promise<StagingMethod> {
    if (this.method === undefined) {
      this.method = stagingMethod(this.runner);
      this.method.catch(() => {
        this.method = undefined;
      });
    }
    return this.method;
  }
}
