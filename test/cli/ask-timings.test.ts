// `ask --timings` prints where the time went on stderr (stdout keeps the answer); `--json` carries the timings.
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-cli-timings-"));
  await cp(DATA, path.join(dir, "docs"), { recursive: true });
  expect((await runCli(["ingest", "docs"], { cwd: dir })).code).toBe(0);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("streamdex ask --timings", () => {
  it("prints one Timings line on stderr, with retrieval, first token and total, and nothing of it on stdout", async () => {
    const r = await runCli(["ask", "Where is the office?", "--timings"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const line = r.stderr.split("\n").find((l) => l.startsWith("Timings: "));
    expect(line).toMatch(
      /^Timings: retrieve [\d.]+ ms · first token [\d.]+ ms · total [\d.]+ ms( · [\d.]+ tokens\/s)?$/,
    );
    expect(r.stdout).not.toMatch(/Timings/);
    const plain = await runCli(["ask", "Where is the office?"], { cwd: dir });
    expect(plain.stderr).not.toMatch(/Timings/);
  });

  it("--json carries the timings object", async () => {
    const r = await runCli(["ask", "Where is the office?", "--json"], { cwd: dir });
    const out = JSON.parse(r.stdout) as { timings: { retrieveMs: number; totalMs: number } };
    expect(out.timings.retrieveMs).toBeGreaterThanOrEqual(0);
    expect(out.timings.totalMs).toBeGreaterThanOrEqual(out.timings.retrieveMs);
  });
});
