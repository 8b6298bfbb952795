import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
const PASSWORD = "s3cret-Pa55word";
const HASH = ["--embed", "hash"];

/** A Postgres server on 127.0.0.1 (PGlite with pgvector behind the wire protocol), for the CLI's `pg` pool. */
async function startServer(
  withVector: boolean,
): Promise<{ db: PGlite; server: PGLiteSocketServer; url: string }> {
  const db = withVector ? new PGlite({ extensions: { vector } }) : new PGlite();
  // A real server takes many connections; PGLiteSocketServer's default is one (the CLI's check and its store
  // open a connection each, one after the other, and the server may not have seen the first one close yet).
  const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 8 });
  await server.start();
  return { db, server, url: `postgres://streamdex:${PASSWORD}@${server.getServerConn()}/postgres` };
}

/** A TCP port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let dir: string;
let pg: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-cli-pg-"));
  await cp(DATA, path.join(dir, "docs"), { recursive: true });
  pg = await startServer(true);
}, 60_000);
afterAll(async () => {
  await pg?.server.stop();
  await pg?.db.close();
  await rm(dir, { recursive: true, force: true });
});

const rows = async (table = "streamdex_nodes") =>
  Number((await pg.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n);

describe("streamdex --store postgres://… (a server through pg)", () => {
  it("ingests, answers, syncs incrementally and refuses a second index on the same table", async () => {
    const store = ["--store", pg.url];
    let r = await runCli(["ingest", "docs", ...HASH, ...store], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const conn = pg.server.getServerConn();
    expect(r.stderr).toContain(
      `Store: Postgres postgres://streamdex:[redacted]@${conn}/postgres, table public.streamdex_nodes (pgvector).`,
    );
    expect(r.stderr).not.toContain(PASSWORD);
    const chunks = Number(/Index: (\d+) chunks from 5 files/.exec(r.stdout)?.[1]);
    expect(await rows()).toBe(chunks);

    await writeFile(path.join(dir, "docs", "lighthouse.txt"), "The keeper polished the great lens at dawn.");
    r = await runCli(["ingest", "docs", ...HASH, ...store], { cwd: dir });
    expect(r.stdout).toMatch(/5 files: 0 new, 1 changed, 0 removed, 4 unchanged; 1 new chunks/);
    expect(await rows()).toBe(Number(/Index: (\d+) chunks/.exec(r.stdout)?.[1]));

    // The password can come from elsewhere (PGPASSWORD): the index is recognised without it.
    const a = await runCli(["ask", "what did the keeper polish?", ...HASH, "--top-k", "1", "--json"], {
      cwd: dir,
      env: { STREAMDEX_STORE: pg.url.replace(`:${PASSWORD}`, "") },
    });
    expect(a.code, a.stderr).toBe(0);
    const { sources } = JSON.parse(a.stdout) as { sources: { file: string; text: string }[] };
    expect(sources[0]).toMatchObject({ text: "The keeper polished the great lens at dawn." });

    const other = await runCli(["ask", "q", ...HASH, ...store, "--table", "elsewhere"], { cwd: dir });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(
      `stored with --store postgres://streamdex@${conn}/postgres, not --store postgres://streamdex@${conn}/postgres --table public.elsewhere`,
    );
    expect(other.stderr).not.toContain(PASSWORD);

    const second = await runCli(["ingest", "docs", ...HASH, ...store, "--persist", "second"], { cwd: dir });
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/already holds chunks that the index in .*second does not list.*--rebuild/);
  }, 120_000);

  it("--rebuild drops the table it names (only a streamdex table) and builds it again", async () => {
    const store = ["--store", pg.url, "--table", "rebuilt"];
    const first = await runCli(["ingest", "docs/memoir.md", ...HASH, ...store, "--persist", "rb"], {
      cwd: dir,
    });
    expect(first.code, first.stderr).toBe(0);
    await pg.db.query(
      "INSERT INTO rebuilt (id, ref_doc_id, text, embedding) SELECT 'stray', 'stray', 'x', embedding FROM rebuilt LIMIT 1",
    );
    const r = await runCli(["ingest", "docs/memoir.md", ...HASH, ...store, "--persist", "rb", "--rebuild"], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(await rows("rebuilt")).toBe(Number(/Index: (\d+) chunks/.exec(r.stdout)?.[1]));
    expect((await pg.db.query("SELECT 1 FROM rebuilt WHERE id = 'stray'")).rows).toHaveLength(0);

    await pg.db.query("CREATE TABLE users (id int PRIMARY KEY, name text)");
    await pg.db.query("INSERT INTO users VALUES (1, 'ada')");
    for (const flags of [["--rebuild"], []]) {
      const u = await runCli(
        ["ingest", "docs", ...HASH, "--store", pg.url, "--table", "users", "--persist", "users", ...flags],
        { cwd: dir },
      );
      expect(u.code).toBe(1);
      expect(u.stderr).toMatch(/streamdex: the table "public"."users" exists and is not a streamdex table/);
    }
    expect(await rows("users")).toBe(1);
  }, 120_000);

  it("an unreachable server is exit 1 in one line naming host:port, never the password", async () => {
    const port = await closedPort();
    for (const verbose of [[], ["--verbose"]]) {
      const r = await runCli(
        [
          "ingest",
          "docs",
          ...HASH,
          "--store",
          `postgres://streamdex:${PASSWORD}@127.0.0.1:${port}/app`,
          "--persist",
          "down",
          ...verbose,
        ],
        { cwd: dir },
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`^streamdex: Could not reach Postgres at 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`, "m"),
      );
      expect(r.stderr).not.toContain(PASSWORD);
      if (verbose.length === 0) expect(r.stderr.trim().split("\n")).toHaveLength(3); // notices + one error
    }
  });

  it("a server without pgvector is exit 1 in one line saying to install it", async () => {
    const bare = await startServer(false);
    try {
      const r = await runCli(["ingest", "docs", ...HASH, "--store", bare.url, "--persist", "bare"], {
        cwd: dir,
      });
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n").at(-1)).toMatch(
        /^streamdex: the Postgres server at 127\.0\.0\.1:\d+ does not have the pgvector extension: install pgvector/,
      );
    } finally {
      await bare.server.stop();
      await bare.db.close();
    }
  }, 60_000);
});
