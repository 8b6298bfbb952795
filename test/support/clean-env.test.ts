import { execFile } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanEnv } from "./clean-env.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const POLLUTION = {
  STREAMDEX_LLM: "openai:nonexistent",
  STREAMDEX_EMBED: "openai:nonexistent",
  STREAMDEX_STORE: "postgres://me:hunter22@127.0.0.1:9/db",
  STREAMDEX_TABLE: "x.y",
  OPENAI_BASE_URL: "http://127.0.0.1:9",
  OPENAI_API_KEY: "sk-test",
  PGPASSWORD: "hunter22",
  HF_TOKEN: "hf_test",
};
let saved: Record<string, string | undefined>;
beforeEach(() => {
  saved = Object.fromEntries(Object.keys(POLLUTION).map((k) => [k, process.env[k]]));
  Object.assign(process.env, POLLUTION);
});
afterEach(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe("cleanEnv: what a spawned test inherits", () => {
  it("keeps PATH and HOME, drops STREAMDEX_*, OPENAI_*, PG* and HF_*, adds (or removes) extra", () => {
    const env = cleanEnv({ OPENAI_BASE_URL: "http://127.0.0.1:1234/v1", HOME: undefined });
    expect(env.PATH).toBe(process.env.PATH);
    for (const key of Object.keys(POLLUTION).filter((k) => k !== "OPENAI_BASE_URL")) {
      expect(env, key).not.toHaveProperty(key);
    }
    expect(env.OPENAI_BASE_URL).toBe("http://127.0.0.1:1234/v1");
    expect(env).not.toHaveProperty("HOME");
    expect(Object.keys(env).filter((k) => /^(STREAMDEX_|OPENAI_|PG|HF_)/.test(k))).toEqual([
      "OPENAI_BASE_URL",
    ]);
  });

  it("a spawned streamdex runs on its defaults whatever the parent's environment says", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "streamdex-clean-env-"));
    try {
      await cp(path.join(ROOT, "examples", "data"), path.join(dir, "docs"), { recursive: true });
      const { stdout, stderr } = await promisify(execFile)(
        path.join(ROOT, "node_modules", ".bin", "tsx"),
        [path.join(ROOT, "src", "cli", "bin.ts"), "ask", "Who kept the lighthouse?", "--data", "docs"],
        { cwd: dir, env: cleanEnv(), timeout: 60_000 },
      );
      expect(stderr).toMatch(/^LLM: none configured/m);
      expect(stderr).toMatch(/^Retrieval: no embedding model reachable, so BM25/m);
      expect(stdout).toMatch(/Sources:\n {2}1\. /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
