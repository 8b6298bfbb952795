/**
 * Bulk loading into `PgVectorStore` on PGlite served over the Postgres wire protocol (the real `pg` client, a
 * `pg.Pool` to `PGLiteSocketServer` on 127.0.0.1): rows/s of an initial load of PGV_N × PGV_DIMS vectors into an
 * empty table, HNSW index and ANALYZE included, and of PGV_UPSERT incremental upserts (half updates, half new
 * rows) into the loaded table, each as a ratio to today's path (main at 399e0d0: one transaction of 500-row
 * multi-VALUES `INSERT … ON CONFLICT` statements with a live HNSW index, copied below as `todaysAdd`).
 *
 *   npm run bench -- pgvector                      # 100,000 × 384 (takes tens of minutes on 2 busy cores)
 *   PGV_N=10000 npm run bench -- pgvector-load     # a quick run
 *
 * Today's initial load is measured on PGV_BASELINE_N rows (default: min(PGV_N, 10,000)) into an empty table: a
 * live HNSW index only gets slower per row as it grows, so measuring it on fewer rows favours today's path and
 * the ratio is conservative. PGV_INPROCESS=1 also times the new initial load on in-process PGlite (COPY from a
 * blob). Figures from a loaded machine are noisy; the ratios are what to compare.
 */
import { pathToFileURL } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import pg from "pg";
import { TextNode } from "../src/schema/node.js";
import { PgVectorStore } from "../src/storage/vector-store/pgvector/index.js";
import { mulberry32 } from "../test/support/prng.js";
import { type BenchResult, round } from "./bench-support.js";

const envInt = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};

function makeNodes(from: number, to: number, dims: number, seed: number, tag: string): TextNode[] {
  const random = mulberry32(seed);
  const out: TextNode[] = [];
  for (let i = from; i < to; i++) {
    const embedding = new Float32Array(dims);
    for (let d = 0; d < dims; d++) embedding[d] = random() * 2 - 1;
    out.push(
      new TextNode({
        id: `node-${String(i).padStart(8, "0")}`,
        text: `${tag} chunk ${i}: a paragraph of a document, as an ingest would store it.`,
        metadata: { file: `/docs/file-${i % 997}.md`, part: i % 13 },
        refDocId: `/docs/file-${i % 997}.md`,
        embedding,
      }),
    );
  }
  return out;
}

/** Today's `PgVectorStore.add` (main at 399e0d0), kept as the baseline: 500-row statements in one transaction. */
async function todaysAdd(pool: pg.Pool, table: string, nodes: TextNode[]): Promise<void> {
  const rows = new Map<string, unknown[]>();
  for (const node of nodes) {
    const { type, id, text, metadata, ...info } = node.toJSON();
    rows.delete(id);
    rows.set(id, [
      id,
      node.refDocId ?? id,
      text,
      JSON.stringify(metadata ?? {}),
      JSON.stringify({ type, ...info }),
      `[${(node.embedding as Float32Array).join(",")}]`,
    ]);
  }
  const all = [...rows.values()];
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    for (let b = 0; b < all.length; b += 500) {
      const batch = all.slice(b, b + 500);
      const values: unknown[] = [];
      const tuples = batch.map((row) => {
        const n = values.push(...row);
        return `($${n - 5}, $${n - 4}, $${n - 3}, $${n - 2}::jsonb, $${n - 1}::jsonb, $${n}::vector)`;
      });
      await client.query(
        `INSERT INTO ${table} (id, ref_doc_id, text, metadata, node_info, embedding) VALUES ${tuples.join(", ")} ` +
          "ON CONFLICT (id) DO UPDATE SET ref_doc_id = EXCLUDED.ref_doc_id, text = EXCLUDED.text, " +
          "metadata = EXCLUDED.metadata, node_info = EXCLUDED.node_info, embedding = EXCLUDED.embedding",
        values,
      );
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** The benchmark: initial load and incremental upserts, new path vs today's, over the socket. */
export async function benchPgvectorLoad(): Promise<BenchResult[]> {
  const n = envInt("PGV_N", 100_000);
  const dims = envInt("PGV_DIMS", 384);
  const upserts = Math.min(envInt("PGV_UPSERT", 5000), n);
  const baseN = Math.min(envInt("PGV_BASELINE_N", 10_000), n);
  const db = new PGlite({ extensions: { vector } });
  const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 8 });
  await server.start();
  const [host, port] = server.getServerConn().split(":");
  const pool = new pg.Pool({ host, port: Number(port), user: "postgres", database: "postgres", max: 2 });
  const results: BenchResult[] = [];
  const log = (line: string) => process.stderr.write(`  [pgvector-load] ${line}\n`);
  try {
    const open = (tableName: string) => new PgVectorStore({ client: pool, dimensions: dims, tableName });
    // Today's initial load, on baseN rows.
    const oldStore = open("bench_today");
    await oldStore.ensureTable(); // creates the table and its HNSW index, as today's setup does
    const oldSecs = await timed(() =>
      todaysAdd(pool, oldStore.tableName, makeNodes(0, baseN, dims, 1, "v1")),
    );
    const oldRate = baseN / oldSecs;
    log(`today's initial load: ${baseN} rows in ${oldSecs.toFixed(1)} s`);

    // The new initial load, on n rows, index build and ANALYZE included.
    const newStore = open("bench_bulk");
    await newStore.ensureTable();
    const phases: Record<string, number> = {};
    let phaseStart = performance.now();
    let phase = "load";
    const all = makeNodes(0, n, dims, 1, "v1");
    const newSecs = await timed(() =>
      newStore.add(all, {
        onProgress: (p) => {
          if (p.phase === phase) return;
          phases[phase] = (performance.now() - phaseStart) / 1000;
          phase = p.phase;
          phaseStart = performance.now();
        },
      }),
    );
    phases[phase] = (performance.now() - phaseStart) / 1000;
    all.length = 0;
    const newRate = n / newSecs;
    log(
      `new initial load: ${n} rows in ${newSecs.toFixed(1)} s (${Object.entries(phases)
        .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
        .join(", ")})`,
    );
    results.push(
      {
        name: `pgvector-load: initial ${n}x${dims} over the socket, index included`,
        value: round(newRate, 1),
        unit: "rows/s",
      },
      {
        name: "pgvector-load: today's initial load (live HNSW, 500-row INSERTs)",
        value: round(oldRate, 1),
        unit: "rows/s",
        notes: baseN < n ? `measured on ${baseN} rows: favours today's path` : undefined,
      },
      {
        name: "pgvector-load: initial load, new / today (goal >= 10)",
        value: round(newRate / oldRate, 2),
        unit: "x",
      },
    );

    // Incremental upserts into the loaded table (live index): half updates, half new rows.
    const half = Math.floor(upserts / 2);
    const oldUpsert = [...makeNodes(0, half, dims, 2, "v2"), ...makeNodes(n, n + half, dims, 3, "v2")];
    const newUpsert = [
      ...makeNodes(half, 2 * half, dims, 4, "v2"),
      ...makeNodes(n + half, n + 2 * half, dims, 5, "v2"),
    ];
    const oldUpSecs = await timed(() => todaysAdd(pool, newStore.tableName, oldUpsert));
    const newUpSecs = await timed(() => newStore.add(newUpsert));
    log(`upserts of ${2 * half} rows: today ${oldUpSecs.toFixed(1)} s, new ${newUpSecs.toFixed(1)} s`);
    results.push(
      {
        name: `pgvector-load: ${2 * half} upserts into ${n} rows, new`,
        value: round((2 * half) / newUpSecs, 1),
        unit: "rows/s",
      },
      {
        name: `pgvector-load: ${2 * half} upserts into ${n} rows, today's path`,
        value: round((2 * half) / oldUpSecs, 1),
        unit: "rows/s",
      },
      { name: "pgvector-load: upserts, new / today", value: round(oldUpSecs / newUpSecs, 2), unit: "x" },
    );
    if ((await newStore.count()) !== n + 2 * half)
      throw new Error("pgvector-load: wrong row count after upserts");
    await oldStore.close();
    await newStore.close();
  } finally {
    await pool.end();
    await server.stop();
    await db.close();
  }
  if (process.env.PGV_INPROCESS === "1") {
    const local = await PgVectorStore.embedded({ dimensions: dims, tableName: "bench_local" });
    try {
      await local.ensureTable();
      const nodes = makeNodes(0, n, dims, 1, "v1");
      const secs = await timed(() => local.add(nodes));
      results.push({
        name: `pgvector-load: initial ${n}x${dims} on in-process PGlite (COPY from a blob), index included`,
        value: round(n / secs, 1),
        unit: "rows/s",
      });
    } finally {
      await local.close();
    }
  }
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchPgvectorLoad())
    console.log(`${r.name}: ${r.value} ${r.unit}${r.notes ? ` (${r.notes})` : ""}`);
}
