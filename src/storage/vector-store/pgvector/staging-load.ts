import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { throwIfAborted } from "../../../utils/abort.js";
import { optionalPeer } from "../../../utils/optional-peer.js";
import { copyBinary, type NodeRow, ROW_COLUMNS, vectorArrayBinary, vectorLiteral } from "./copy-rows.js";
import type { PgQueryable, QueryRunner } from "./query-runner.js";

/**
 * How rows reach the staging table: PGlite's `COPY … FROM '/dev/blob'` (in process), `COPY … FROM STDIN` through
 * `pg-copy-streams` (a Postgres server), or array `INSERT … SELECT FROM unnest(…)` statements: the fallback where
 * `COPY FROM STDIN` is not possible (PGlite served over the socket, whose server cannot carry the copy
 * sub-protocol; or `pg-copy-streams` not installed). `"text-arrays"` sends the vectors as text: for a connection
 * of unknown kind (e.g. a wrapper around PGlite), which may not pass binary parameters on.
 */
export type StagingMethod = "blob" | "stdin" | "arrays" | "text-arrays";

/** The name of the session's staging table (`ON COMMIT DROP`: it lives for one `add`'s transaction). */
export const STAGING_NAME = "streamdex_staging";
/** {@link STAGING_NAME}, qualified with the session's temporary schema. */
export const STAGING_TABLE = `pg_temp.${STAGING_NAME}`;

type CopyStreamsModule = typeof import("pg-copy-streams");
const copyStreamsPeer = optionalPeer<CopyStreamsModule>(
  "pg-copy-streams",
  "streamdex/pgvector",
  () => import("pg-copy-streams"),
);

/** The best {@link StagingMethod} the runner's database allows (asks the server which it is, for `pg`). */
export async function stagingMethod(runner: QueryRunner): Promise<StagingMethod> {
  if (runner.kind === "pglite") return "blob";
  if (runner.kind !== "pg") return "text-arrays";
  const [row] = await runner.query<{ v: string }>("SELECT version() AS v");
  if (/PGlite/i.test(row?.v ?? "")) return "arrays";
  return copyStreamsPeer.load().then(
    () => "stdin",
    () => "arrays",
  );
}

type Query = <R>(text: string, values?: unknown[]) => Promise<R[]>;

/** What {@link fillStaging} needs. */
export interface StagingLoad {
  method: StagingMethod;
  q: Query;
  /** The transaction's own connection (a PGlite transaction or a `pg` client). */
  conn: PgQueryable;
  rows: readonly NodeRow[];
  chunkSize: number;
  signal: AbortSignal | undefined;
  /** Rows staged so far, after each chunk. */
  onRows(done: number): void;
}

const COLUMN_LIST = ROW_COLUMNS.join(", ");

/**
 * Loads `rows` into {@link STAGING_TABLE} in chunks, checking `signal` between them (an abort throws
 * `AbortError`, and the caller's transaction rolls back). Over `COPY FROM STDIN`, an abort also cancels the copy
 * on the server (`CopyFail`).
 */
export async function fillStaging(load: StagingLoad): Promise<void> {
  const { rows, chunkSize, signal } = load;
  const chunks = function* () {
    for (let start = 0; start < rows.length; start += chunkSize) {
      yield rows.slice(start, start + chunkSize);
    }
  };
  if (load.method === "stdin") return copyStdin(load, chunks());
  let done = 0;
  let vectorOid: number | undefined;
  for (const chunk of chunks()) {
    throwIfAborted(signal);
    if (load.method === "blob") {
      const tx = load.conn as unknown as {
        query(text: string, values: unknown[], options: { blob: Blob }): Promise<unknown>;
      };
      await tx.query(`COPY ${STAGING_TABLE} (${COLUMN_LIST}) FROM '/dev/blob' (FORMAT binary)`, [], {
        blob: new Blob([copyBinary(chunk, true, true) as Uint8Array<ArrayBuffer>]),
      });
    } else {
      if (load.method === "arrays") {
        vectorOid ??= Number(
          (await load.q<{ oid: number }>("SELECT 'vector'::regtype::oid::int AS oid"))[0]?.oid,
        );
      }
      const column = (i: number) => chunk.map((row) => row[i]);
      const vectors =
        load.method === "text-arrays"
          ? chunk.map((row) => vectorLiteral(row[5]))
          : vectorArrayBinary(
              chunk.map((row) => row[5]),
              vectorOid ?? 0,
            );
      // The vectors go as one binary vector[] parameter (`pg` sends a Buffer in binary): no float text to parse.
      const text = load.method === "text-arrays";
      await load.q(
        `INSERT INTO ${STAGING_TABLE} (${COLUMN_LIST}) SELECT id, ref_doc_id, text, metadata::jsonb, ` +
          `node_info::jsonb, embedding${text ? "::vector" : ""} FROM unnest($1::text[], $2::text[], $3::text[], ` +
          `$4::text[], $5::text[], $6::${text ? "text" : "vector"}[]) AS s(id, ref_doc_id, text, metadata, node_info, embedding)`,
        [...[0, 1, 2, 3, 4].map(column), vectors],
      );
    }
    done += chunk.length;
    load.onRows(done);
  }
  throwIfAborted(signal);
}

async function copyStdin(load: StagingLoad, chunks: Iterable<readonly NodeRow[]>): Promise<void> {
  throwIfAborted(load.signal);
  const { from } = await copyStreamsPeer.load();
  const client = load.conn as unknown as { query<S>(stream: S): S };
  const target = client.query(from(`COPY ${STAGING_TABLE} (${COLUMN_LIST}) FROM STDIN (FORMAT binary)`));
  let done = 0;
  const source = Readable.from(
    (function* () {
      let first = true;
      for (const chunk of chunks) {
        yield copyBinary(chunk, first, false);
        first = false;
        done += chunk.length;
        load.onRows(done);
      }
      yield copyBinary([], first, true);
    })(),
  );
  await pipeline(source, target, { signal: load.signal });
}
