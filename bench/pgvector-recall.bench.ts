/**
 * Recall and latency of `PgVectorStore` queries on PGlite served over the Postgres wire protocol (a `pg` Pool →
 * PGLiteSocketServer on 127.0.0.1), at PGVECTOR_RECALL_N vectors (default 100,000) of 384 dimensions:
 *
 * - recall@10 against exact search (brute force in JS) and p50 latency, for pgvector's default `ef_search` 40
 *   (what the store did before it set ef_search per query) and for the store's default now (`efSearchFor`);
 * - one statement (`set_config` in a LATERAL subquery) against the transaction it replaces (BEGIN, SET LOCAL,
 *   SELECT, COMMIT), at the same ef_search;
 * - a filtered query (`==` on a key 1 row in 10 has) with `hnsw.iterative_scan` strict_order vs relaxed_order;
 * - a selective `in` (2 of 1000 values, which no other key holds: jsonb_ops GIN indexes keys and values apart, so a
 *   value other keys share reads their rows too), written as before (no index help) and as now (GIN containment).
 *
 * Two data sets: embedding-like vectors (bench/ann-data.ts, with 300 topic clusters: the headline, closer to text
 * embeddings) and uniformly random unit vectors (the worst case). The table is loaded without an index, then the
 * HNSW index is built (maintenance_work_mem raised) and the table analysed; PGVECTOR_RECALL_Q sets the number of
 * queries (default 100). The built databases are cached under bench/.cache/pgvector-recall/ (gitignored). Opt-in (minutes at 100k): `npm run bench -- pgvector`. Noisy on a shared machine.
 */
import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import pg from "pg";
import { PgVectorStore } from "../src/storage/vector-store/pgvector/index.js";
import { type DataParams, DIMS, EMBEDDING_LIKE, UNIFORM, vectorSource } from "./ann-data.js";
import { type BenchResult, median, round } from "./bench-support.js";

const N = Number(process.env.PGVECTOR_RECALL_N ?? 100_000);
const Q = Number(process.env.PGVECTOR_RECALL_Q ?? 100);
const K = 10;
/** Built tables are kept here (gitignored) and reused while N and the data parameters match. */
const CACHE = join(import.meta.dirname, ".cache", "pgvector-recall");
const SETS: [string, DataParams][] = [
  ["embedding-like (300 clusters)", { ...EMBEDDING_LIKE, clusters: 300 }],
  ["uniform random", UNIFORM],
];

function draw(params: DataParams, stream: "data" | "queries", n: number): Float32Array {
  const out = new Float32Array(n * DIMS);
  vectorSource(params, stream).fill(out);
  return out;
}

const row = (data: Float32Array, i: number) => data.subarray(i * DIMS, (i + 1) * DIMS);

/** The exact top-`k` ids (cosine on unit vectors = dot product), optionally among rows `keep` accepts. */
function exactTopK(data: Float32Array, q: Float32Array, k: number, keep?: (i: number) => boolean): string[] {
  const best: [number, number][] = [];
  for (let i = 0; i < data.length / DIMS; i++) {
    if (keep && !keep(i)) continue;
    let dot = 0;
    const base = i * DIMS;
    for (let j = 0; j < DIMS; j++) dot += data[base + j]! * q[j]!;
    if (best.length < k || dot > best[best.length - 1]![0]) {
      best.push([dot, i]);
      best.sort((a, b) => b[0] - a[0]);
      if (best.length > k) best.pop();
    }
  }
  return best.map(([, i]) => `n${i}`);
}

const overlap = (got: string[], want: string[]) => got.filter((id) => want.includes(id)).length / want.length;

async function load(db: PGlite, data: Float32Array): Promise<void> {
  await db.exec(
    "CREATE EXTENSION IF NOT EXISTS vector; CREATE TABLE streamdex_nodes (id text PRIMARY KEY, " +
      "ref_doc_id text NOT NULL, text text NOT NULL, metadata jsonb NOT NULL DEFAULT '{}', " +
      `node_info jsonb NOT NULL DEFAULT '{}', embedding vector(${DIMS}) NOT NULL)`,
  );
  for (let start = 0; start < N; start += 1000) {
    const values: string[] = [];
    for (let i = start; i < Math.min(N, start + 1000); i++) {
      const meta = JSON.stringify({ g: i % 10, u: i % 1000 });
      values.push(`('n${i}', 'n${i}', '', '${meta}', '{}', '[${row(data, i).join(",")}]')`);
    }
    await db.exec(
      `INSERT INTO streamdex_nodes (id, ref_doc_id, text, metadata, node_info, embedding) VALUES ${values.join(",")}`,
    );
  }
  await db.exec(
    "SET maintenance_work_mem = '1GB'; " +
      "CREATE INDEX streamdex_nodes_hnsw_cos_idx ON streamdex_nodes USING hnsw (embedding vector_cosine_ops); " +
      "CREATE INDEX streamdex_nodes_metadata_idx ON streamdex_nodes USING gin (metadata); " +
      "CREATE INDEX streamdex_nodes_ref_doc_id_idx ON streamdex_nodes (ref_doc_id); ANALYZE streamdex_nodes; " +
      "RESET maintenance_work_mem",
  );
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const result = await fn();
  return [result, performance.now() - t0];
}

async function benchSet(label: string, params: DataParams): Promise<BenchResult[]> {
  const data = draw(params, "data", N);
  const queries = draw(params, "queries", Q);
  const dataDir = join(
    CACHE,
    `${params.kind}-${params.kind === "uniform" ? "" : params.clusters}-${params.seed}-${N}`,
  );
  const cached = await stat(join(dataDir, "PG_VERSION")).then(
    () => true,
    () => false,
  );
  if (!cached) await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const db = new PGlite(dataDir, { extensions: { vector } });
  const loaded =
    cached &&
    (await db
      .query<{ n: number }>("SELECT count(*)::int AS n FROM streamdex_nodes")
      .then((r) => r.rows[0]?.n === N)
      .catch(() => false));
  const [, loadMs] = loaded ? [undefined, Number.NaN] : await timed(() => load(db, data));
  const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1" });
  await server.start();
  const [host, port] = server.getServerConn().split(":");
  const pool = new pg.Pool({ host, port: Number(port), user: "postgres", database: "postgres", max: 2 });
  const results: BenchResult[] = [];
  const at = `${label}, ${N} x ${DIMS}, socket`;
  try {
    const truth = Array.from({ length: Q }, (_, i) => exactTopK(data, row(queries, i), K));
    const run = async (store: PgVectorStore, filters?: unknown) => {
      const recalls: number[] = [];
      const times: number[] = [];
      for (let i = 0; i < Q; i++) {
        const q = { queryEmbedding: Array.from(row(queries, i)), similarityTopK: K, filters } as never;
        const [res, ms] = await timed(() => store.query(q));
        recalls.push(overlap((res as { ids: string[] }).ids, truth[i]!));
        times.push(ms);
      }
      return { recall: recalls.reduce((a, b) => a + b, 0) / Q, p50: median(times) };
    };
    const open = (hnsw?: { efSearch?: number }) =>
      new PgVectorStore({ client: pool, dimensions: DIMS, hnsw, createTable: false });
    await run(open()); // warm-up: the graph's pages into PGlite's buffers
    const today = await run(open({ efSearch: 40 }));
    const now = await run(open());
    results.push(
      {
        name: `recall@10, ef_search 40 (before) [${at}]`,
        value: round(today.recall),
        unit: "",
        notes: `p50 ${round(today.p50, 2)} ms`,
      },
      {
        name: `recall@10, default ef_search (now, 100 for k=10) [${at}]`,
        value: round(now.recall),
        unit: "",
        notes: `p50 ${round(now.p50, 2)} ms; goal >= 0.95 with p50 <= 20 ms`,
      },
      { name: `p50 latency now / before [${label}]`, value: round(now.p50 / today.p50), unit: "x" },
    );
    for (const ef of [200, 400]) {
      const r = await run(open({ efSearch: ef }));
      results.push({
        name: `recall@10, ef_search ${ef} [${at}]`,
        value: round(r.recall),
        unit: "",
        notes: `p50 ${round(r.p50, 2)} ms`,
      });
    }
    results.push(...(await statementCost(pool, queries, label)));
    results.push(...(await filtered(pool, data, queries, label)));
  } finally {
    await pool.end();
    await server.stop();
    await db.close();
  }
  if (!loaded) {
    results.push({
      name: `load + index build [${label}, ${N} rows, in-process]`,
      value: round(loadMs / 1000, 1),
      unit: "s",
      notes: `cached in ${CACHE} for later runs`,
    });
  }
  return results;
}

/** One statement with set_config against BEGIN; SET LOCAL; SELECT; COMMIT (today's form), same ef_search. */
async function statementCost(pool: pg.Pool, queries: Float32Array, label: string): Promise<BenchResult[]> {
  const sql = "SELECT id FROM streamdex_nodes ORDER BY embedding <=> $1::vector LIMIT 10";
  const oneStatement =
    "SELECT r.* FROM (SELECT set_config('hnsw.ef_search', '100', true) AS s0) AS cfg CROSS JOIN LATERAL " +
    "(SELECT id FROM streamdex_nodes WHERE cfg.s0 IS NOT NULL ORDER BY embedding <=> $1::vector LIMIT 10) AS r";
  const tx: number[] = [];
  const one: number[] = [];
  for (let i = 0; i < Q; i++) {
    const v = `[${row(queries, i).join(",")}]`;
    tx.push(
      (
        await timed(async () => {
          const c = await pool.connect();
          try {
            await c.query("BEGIN");
            await c.query("SET LOCAL hnsw.ef_search = 100");
            await c.query(sql, [v]);
            await c.query("COMMIT");
          } finally {
            c.release();
          }
        })
      )[1],
    );
    one.push((await timed(() => pool.query(oneStatement, [v])))[1]);
  }
  return [
    {
      name: `p50 one statement (set_config) / transaction (SET LOCAL) [${label}]`,
      value: round(median(one) / median(tx)),
      unit: "x",
      notes: `${round(median(one), 2)} vs ${round(median(tx), 2)} ms`,
    },
  ];
}

/** Filtered queries: iterative scan modes on a 10 % filter; a selective `in` before and now. */
async function filtered(
  pool: pg.Pool,
  data: Float32Array,
  queries: Float32Array,
  label: string,
): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const modes: Record<string, { recall: number; p50: number }> = {};
  for (const mode of ["strict_order", "relaxed_order"]) {
    const recalls: number[] = [];
    const times: number[] = [];
    for (let i = 0; i < Q; i++) {
      const q = row(queries, i);
      const want = exactTopK(data, q, K, (j) => j % 10 === 3);
      const sql =
        `SELECT r.id FROM (SELECT set_config('hnsw.ef_search', '100', true) AS s0, set_config('hnsw.iterative_scan', '${mode}', true) AS s1) AS cfg ` +
        "CROSS JOIN LATERAL (SELECT id, embedding <=> $1::vector AS d FROM streamdex_nodes WHERE cfg.s0 IS NOT NULL " +
        "AND cfg.s1 IS NOT NULL AND metadata @> '{\"g\": 3}' AND metadata -> 'g' = '3' ORDER BY embedding <=> $1::vector LIMIT 10) AS r ORDER BY r.d";
      const [res, ms] = await timed(() => pool.query(sql, [`[${q.join(",")}]`]));
      recalls.push(
        overlap(
          res.rows.map((r: { id: string }) => r.id),
          want,
        ),
      );
      times.push(ms);
    }
    modes[mode] = { recall: recalls.reduce((a, b) => a + b, 0) / Q, p50: median(times) };
    out.push({
      name: `filtered (1 in 10) recall@10, iterative_scan ${mode} [${label}]`,
      value: round(modes[mode]!.recall),
      unit: "",
      notes: `p50 ${round(modes[mode]!.p50, 2)} ms`,
    });
  }
  // Both with the iterative scan the store sets for filtered queries (before: SET LOCAL in a transaction).
  const scan =
    "SELECT r.id FROM (SELECT set_config('hnsw.iterative_scan', 'strict_order', true) AS s0) AS cfg " +
    "CROSS JOIN LATERAL (SELECT id FROM streamdex_nodes WHERE cfg.s0 IS NOT NULL AND ";
  const before =
    scan +
    "EXISTS (SELECT 1 FROM jsonb_array_elements($2::jsonb) AS v(e) " +
    "WHERE v.e = metadata -> 'u') ORDER BY embedding <=> $1::vector LIMIT 10) AS r";
  const now =
    scan +
    "metadata @> ANY($3::jsonb[]) AND EXISTS (SELECT 1 FROM jsonb_array_elements($2::jsonb) AS v(e) " +
    "WHERE v.e = metadata -> 'u') ORDER BY embedding <=> $1::vector LIMIT 10) AS r";
  const times = { before: [] as number[], now: [] as number[] };
  let recallBefore = 0;
  let recallNow = 0;
  for (let i = 0; i < Q; i++) {
    const q = row(queries, i);
    const want = exactTopK(data, q, K, (j) => j % 1000 === 507 || j % 1000 === 508);
    const v = `[${q.join(",")}]`;
    const [b, tb] = await timed(() => pool.query(before, [v, "[507, 508]"]));
    const [n, tn] = await timed(() => pool.query(now, [v, "[507, 508]", ['{"u": 507}', '{"u": 508}']]));
    times.before.push(tb);
    times.now.push(tn);
    recallBefore +=
      overlap(
        b.rows.map((r: { id: string }) => r.id),
        want,
      ) / Q;
    recallNow +=
      overlap(
        n.rows.map((r: { id: string }) => r.id),
        want,
      ) / Q;
  }
  const plan = await pool.query(`EXPLAIN ${now}`, [
    `[${row(queries, 0).join(",")}]`,
    "[507, 508]",
    ['{"u": 507}', '{"u": 508}'],
  ]);
  const usesGin = plan.rows.some((r: Record<string, string>) =>
    /Bitmap Index Scan/.test(Object.values(r)[0]!),
  );
  out.push({
    name: `selective in (2 of 1000 values): p50 now / before [${label}]`,
    value: round(median(times.now) / median(times.before)),
    unit: "x",
    notes: `${round(median(times.now), 2)} vs ${round(median(times.before), 2)} ms; recall ${round(recallNow)} vs ${round(recallBefore)}; plan ${usesGin ? "GIN bitmap + sort (exact)" : "HNSW"}`,
  });
  return out;
}

/** Every measurement, for each data set. */
export async function benchPgvectorRecall(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const [label, params] of SETS) results.push(...(await benchSet(label, params)));
  return results;
}
