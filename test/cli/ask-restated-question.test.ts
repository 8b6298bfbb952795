import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-ask-question-"));
  await cp(DATA, path.join(dir, "docs"), { recursive: true });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("streamdex ask over examples/data, extractive answerer", () => {
  it("does not repeat the FAQ's question line, and quotes the answer below it", async () => {
    expect((await runCli(["ingest", "docs"], { cwd: dir })).code).toBe(0);
    const r = await runCli(["ask", "Where is the office?"], { cwd: dir });
    expect(r.code).toBe(0);
    const answer = r.stdout.split("Sources:")[0]!;
    expect(answer).not.toContain("Where is the office?");
    expect(answer).toContain(
      "Since 2015 our office has been in Port Sorel, in a converted net loft above the harbour.",
    );
    expect(r.stdout).toMatch(/Sources:\n {2}1\. company-faq\.html/);
  });
});
