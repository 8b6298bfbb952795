import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type PasswordGate, startPasswordGate } from "../support/pg-password-gate.js";
import { runCli } from "./run-cli.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
const PASSWORD = "env-only-Pa55word";
const WRONG = "not-the-Pa55word";
const HASH = ["--embed", "hash"];

let dir: string;
let db: PGlite;
let pglite: PGLiteSocketServer;
let gate: PasswordGate;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-cli-pgpass-"));
  await cp(DATA, path.join(dir, "docs"), { recursive: true });
  db = new PGlite({ extensions: { vector } });
  pglite = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 8 });
  await pglite.start();
  const [host, port] = pglite.getServerConn().split(":");
  // PGlite takes any password: the gate in front of it asks for one and checks it, as a real server does.
  gate = await startPasswordGate({ host: host!, port: Number(port) }, PASSWORD);
}, 60_000);
afterAll(async () => {
  await gate?.close();
  await pglite?.stop();
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/**
 * Runs the command with `PGPASSWORD` set (or unset) as a shell would: in the process environment, which `pg`
 * reads, and in the command's own environment (the real `streamdex` is given `process.env`).
 */
function withPgPassword(argv: string[], password: string | undefined) {
  vi.stubEnv("PGPASSWORD", password);
  // No password file either, so that the password can only come from PGPASSWORD.
  vi.stubEnv("PGPASSFILE", path.join(dir, "no-such-pgpass"));
  return runCli(argv, { cwd: dir, env: { PGPASSWORD: password, PGPASSFILE: process.env.PGPASSFILE } });
}

const rows = async () =>
  Number((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM streamdex_nodes")).rows[0]!.n);

describe("PGPASSWORD reaches the Postgres store (a URL without password)", () => {
  it("ingest and ask connect with the password from PGPASSWORD only, and never print it", async () => {
    const store = ["--store", `postgres://streamdex@${gate.conn}/postgres`];
    const ingest = await withPgPassword(["ingest", "docs", ...HASH, ...store], PASSWORD);
    expect(ingest.code, ingest.stderr).toBe(0);
    // Every connection the command opened was asked for a password, and sent PGPASSWORD's.
    expect(gate.received.length).toBeGreaterThan(0);
    expect(gate.received.every((p) => p === PASSWORD)).toBe(true);
    expect(gate.users.every((u) => u === "streamdex")).toBe(true);
    const chunks = Number(/Index: (\d+) chunks from 5 files/.exec(ingest.stdout)?.[1]);
    expect(chunks).toBeGreaterThan(0);
    expect(await rows()).toBe(chunks);

    const seen = gate.received.length;
    const ask = await withPgPassword(
      ["ask", "Where is the office?", ...HASH, ...store, "--top-k", "1", "--json"],
      PASSWORD,
    );
    expect(ask.code, ask.stderr).toBe(0);
    expect((JSON.parse(ask.stdout) as { sources: unknown[] }).sources).toHaveLength(1);
    expect(gate.received.length).toBeGreaterThan(seen);

    for (const r of [ingest, ask]) expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  }, 120_000);

  it("a wrong PGPASSWORD is what reaches the server: exit 1 in one line that shows no password", async () => {
    const seen = gate.received.length;
    for (const verbose of [[], ["--verbose"]]) {
      const r = await withPgPassword(
        [
          "ingest",
          "docs",
          ...HASH,
          "--store",
          `postgres://streamdex@${gate.conn}/postgres`,
          "--persist",
          "wrong",
          ...verbose,
        ],
        WRONG,
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^streamdex: .*password authentication failed for user "streamdex"/m);
      expect(r.stdout + r.stderr).not.toContain(WRONG);
      expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    }
    expect(gate.received.length).toBeGreaterThan(seen);
    expect(gate.received.slice(seen).every((p) => p === WRONG)).toBe(true);
  });

  it("without PGPASSWORD (and no password in the URL) an empty password is sent and the login fails", async () => {
    const seen = gate.received.length;
    const r = await withPgPassword(
      [
        "ingest",
        "docs",
        ...HASH,
        "--store",
        `postgres://streamdex@${gate.conn}/postgres`,
        "--persist",
        "none",
      ],
      undefined,
    );
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(/^streamdex: /);
    // The server asked; the client had nothing to send but an empty password.
    expect(gate.received.length).toBeGreaterThan(seen);
    expect(gate.received.slice(seen).every((p) => !p)).toBe(true);
  });
});
