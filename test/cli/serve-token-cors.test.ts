import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { runCli } from "./run-cli.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
const TOKEN = "serve-tok-5d4c3b2a19";
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-serve-flags-"));
  await cp(DATA, path.join(dir, "docs"), { recursive: true });
  expect((await runCli(["ingest", "docs"], { cwd: dir })).code).toBe(0);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A running `streamdex serve --port 0 …` (in-process); `stop()` is its Ctrl-C and resolves to the exit code. */
interface Serving {
  url: string;
  output: () => string;
  stop: () => Promise<number>;
}
const running: Serving[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function serve(flags: string[], env: Record<string, string> = {}): Promise<Serving> {
  let out = "";
  let err = "";
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on("data", (d) => {
    out += String(d);
  });
  stderr.on("data", (d) => {
    err += String(d);
  });
  const interrupt = new AbortController();
  const exited = main(["serve", "--port", "0", ...flags], {
    stdout,
    stderr,
    env,
    cwd: dir,
    interrupt: interrupt.signal,
  });
  let code: number | undefined;
  void exited.then((c) => {
    code = c;
  });
  for (let i = 0; i < 1000 && code === undefined && !/answering on (\S+) /.test(out); i++)
    await new Promise((r) => setTimeout(r, 10));
  const url = /answering on (\S+) /.exec(out)?.[1];
  if (url === undefined) throw new Error(`serve did not start (exit ${code}):\n${out}\n${err}`);
  let stopped: Promise<number> | undefined;
  const serving: Serving = {
    url,
    output: () => out + err,
    stop: () => {
      interrupt.abort();
      stopped ??= exited;
      return stopped;
    },
  };
  running.push(serving);
  return serving;
}

function ask(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/api/query`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query: "Where is the office?", topK: 1 }),
  });
}

function preflight(url: string, origin: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/api/query`, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type",
      ...headers,
    },
  });
}

function corsHeaderNames(res: Response): string[] {
  const names: string[] = [];
  res.headers.forEach((_, name) => {
    if (name.startsWith("access-control-")) names.push(name);
  });
  return names;
}

describe("streamdex serve --token", () => {
  it("answers the right bearer token, and 401s a missing or wrong one; the token is never printed", async () => {
    const s = await serve(["--token", TOKEN]);
    const none = await ask(s.url);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`]) {
      const wrong = await ask(s.url, { authorization });
      expect(wrong.status, authorization).toBe(401);
      await wrong.text();
    }

    const right = await ask(s.url, { authorization: `Bearer ${TOKEN}` });
    expect(right.status).toBe(200);
    expect(right.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const body = await right.text();
    expect(body).toMatch(/event: sources[\s\S]*event: delta[\s\S]*event: done/);
    // The health check and the page stay open.
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);

    expect(await s.stop()).toBe(0);
    expect(s.output()).toMatch(/POST \/api\/query 401 /);
    expect(s.output()).not.toContain(TOKEN);
  });

  it("takes the token from STREAMDEX_TOKEN too, and --token wins over it", async () => {
    const fromEnv = await serve([], { STREAMDEX_TOKEN: TOKEN });
    expect((await ask(fromEnv.url)).status).toBe(401);
    const ok = await ask(fromEnv.url, { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    await ok.text();

    const flag = await serve(["--token", "flag-token-0123456789"], { STREAMDEX_TOKEN: TOKEN });
    expect((await ask(flag.url, { authorization: `Bearer ${TOKEN}` })).status).toBe(401);
    const flagged = await ask(flag.url, { authorization: "Bearer flag-token-0123456789" });
    expect(flagged.status).toBe(200);
    await flagged.text();
  });

  it("without a token on loopback, the API needs no Authorization", async () => {
    const s = await serve([]);
    const res = await ask(s.url);
    expect(res.status).toBe(200);
    await res.text();
  });
});

describe("streamdex serve --cors", () => {
  it("off without the flag: no CORS headers on answers, and a preflight is refused (405)", async () => {
    const s = await serve([]);
    const res = await ask(s.url, { origin: "https://app.example" });
    expect(res.status).toBe(200);
    expect(corsHeaderNames(res)).toEqual([]);
    await res.text();
    const pre = await preflight(s.url, "https://app.example");
    expect(pre.status).toBe(405);
    expect(corsHeaderNames(pre)).toEqual([]);
  });

  it("--cors a,b: preflights from the listed origins get 204 and the CORS headers; answers carry the origin", async () => {
    const s = await serve(["--cors", "https://app.example,https://admin.example", "--token", TOKEN]);
    for (const origin of ["https://app.example", "https://admin.example"]) {
      // A browser's preflight carries no Authorization: it passes without the token.
      const pre = await preflight(s.url, origin);
      expect(pre.status, origin).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe(origin);
      expect(pre.headers.get("access-control-allow-methods")).toMatch(/POST/);
      expect(pre.headers.get("access-control-allow-headers")).toMatch(/authorization/);
      expect(pre.headers.get("access-control-allow-headers")).toMatch(/content-type/);
      expect(pre.headers.get("vary")).toMatch(/origin/i);

      const res = await ask(s.url, { origin, authorization: `Bearer ${TOKEN}` });
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe(origin);
      await res.text();
      // An error answer carries it too, so the page can read why.
      const refused = await ask(s.url, { origin });
      expect(refused.status).toBe(401);
      expect(refused.headers.get("access-control-allow-origin")).toBe(origin);
    }

    const other = await preflight(s.url, "https://evil.example");
    expect(other.status).toBe(403);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const answer = await ask(s.url, { origin: "https://evil.example", authorization: `Bearer ${TOKEN}` });
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
    await answer.text();
  });

  it('--cors "*" allows any origin', async () => {
    const s = await serve(["--cors", "*"]);
    const pre = await preflight(s.url, "https://anywhere.example");
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    const res = await ask(s.url, { origin: "https://anywhere.example" });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    await res.text();
  });

  it("--cors takes a comma-separated list with spaces after the commas", async () => {
    const s = await serve(["--cors", "https://app.example, https://admin.example"]);
    for (const origin of ["https://app.example", "https://admin.example"]) {
      const pre = await preflight(s.url, origin);
      expect(pre.status, origin).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe(origin);
    }
  });
});
