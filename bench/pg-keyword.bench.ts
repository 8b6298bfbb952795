/**
 * Full-text search on the pgvector table, on PGlite over the socket (`npm run bench -- pgvector-keyword`): what the generated
 * `text_search_tsv` column and its GIN index cost on upserts (against `textSearch: false`, the table as it was
 * before, i.e. main at 399e0d0), a keyword-only table's upserts against a vector table's, and keyword search's p50
 * latency against a vector query's. PGK_N rows (default 5,000) of 384-dim vectors and ~60-word texts.
 */
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import pg from "pg";
import { TextNode } from "../src/schema/node.js";
import {
  type PgClientLike,
  PgKeywordStore,
  PgVectorStore,
} from "../src/storage/vector-store/pgvector/index.js";
import { type BenchResult, median } from "./bench-support.js";

const WORDS = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function nodes(n: number, dims: number): TextNode[] {
  const r = rng(7);
  return Array.from({ length: n }, (_, i) => {
    const text = Array.from({ length: 60 }, () => WORDS[Math.floor(r() ** 2 * WORDS.length)]).join(" ");
    const embedding = Float32Array.from({ length: dims }, () => r() * 2 - 1);
    return new TextNode({ id: `n${i}`, text, refDocId: `d${i % 100}`, embedding });
  });
}

async function rowsPerSecond(add: () => Promise<unknown>, n: number): Promise<number> {
  const t0 = performance.now();
  await add();
  return n / ((performance.now() - t0) / 1000);
}

async function p50(fn: (i: number) => Promise<unknown>, runs = 40): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** The benchmark's lines. */
export async function benchPgKeyword(): Promise<BenchResult[]> {
  const n = Number(process.env.PGK_N) || 5000;
  const dims = 384;
  const db = new PGlite({ extensions: { vector } });
  const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 8 });
  await server.start();
  const [host, port] = server.getServerConn().split(":");
  const pool = new pg.Pool({ host, port: Number(port), user: "postgres", database: "postgres", max: 4 });
  const client = pool as unknown as PgClientLike;
  try {
    const data = nodes(n, dims);
    const before = new PgVectorStore({
      client,
      dimensions: dims,
      tableName: "bench_before",
      textSearch: false,
    });
    const after = new PgVectorStore({ client, dimensions: dims, tableName: "bench_after" });
    const words = new PgKeywordStore({ client, tableName: "bench_words" });
    await before.ensureTable();
    await after.ensureTable();
    const beforeRate = await rowsPerSecond(() => before.add(data), n);
    const afterRate = await rowsPerSecond(() => after.add(data), n);
    const wordsRate = await rowsPerSecond(() => words.add(data), n);
    const queries = Array.from(
      { length: 40 },
      (_, i) => `${WORDS[i * 3]} ${WORDS[i * 7 + 1]} ${WORDS[4000 + i]}`,
    );
    const vectorP50 = await p50((i) =>
      after.query({ queryEmbedding: data[i]!.embedding!, similarityTopK: 10 }),
    );
    const keywordP50 = await p50((i) => after.keywordSearch({ query: queries[i]!, similarityTopK: 10 }));
    return [
      {
        name: `pgvector upsert rows/s, textSearch: false (today's table), ${n} x ${dims}`,
        value: beforeRate,
        unit: "rows/s",
      },
      {
        name: "pgvector upsert with full-text column + GIN / without",
        value: afterRate / beforeRate,
        unit: "x",
        notes: "1 = no cost",
      },
      {
        name: "keyword-only table upsert / vector table upsert (today)",
        value: wordsRate / beforeRate,
        unit: "x",
      },
      { name: "keywordSearch p50 (top 10, 3 words, ORed)", value: keywordP50, unit: "ms" },
      {
        name: "keywordSearch p50 / vector query p50 (HNSW, top 10)",
        value: keywordP50 / vectorP50,
        unit: "x",
      },
    ];
  } finally {
    await pool.end();
    await server.stop();
    await db.close();
  }
}
