import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { runCli } from "./run-cli.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-serve-"));
  await cp(DATA, path.join(dir, "docs"), { recursive: true });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("streamdex serve", () => {
  it("serves the index over HTTP until Ctrl-C: healthz, SSE answers, the page", async () => {
    const stdout = new PassThrough();
    let out = "";
    stdout.on("data", (d) => {
      out += String(d);
    });
    const interrupt = new AbortController();
    const running = main(["serve", "--port", "0", "--data", "docs"], {
      stdout,
      stderr: new PassThrough(),
      env: {},
      cwd: dir,
      interrupt: interrupt.signal,
    });
    for (let i = 0; i < 400 && !/answering on (\S+) /.test(out); i++)
      await new Promise((r) => setTimeout(r, 10));
    const url = /answering on (\S+) /.exec(out)![1]!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true });
    const res = await fetch(`${url}/api/query`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "What did the author do growing up?", topK: 1 }),
    });
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const body = await res.text();
    expect(body.indexOf("event: sources")).toBeLessThan(body.indexOf("event: delta"));
    expect(body).toMatch(/event: done/);
    expect(await (await fetch(`${url}/`)).text()).toMatch(/<html/i);
    // A citing answer (the page asks with citations by default): the extractive answerer cites its sources.
    const cited = await (
      await fetch(`${url}/api/query`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "What did the author do growing up?", topK: 2, citations: true }),
      })
    ).text();
    const sources = JSON.parse(/event: sources\ndata: (.*)\n/.exec(cited)![1]!) as {
      sourceNodes: { id: string; number: number }[];
    };
    expect(sources.sourceNodes[0]!.number).toBe(1);
    const citations = [...cited.matchAll(/event: citation\ndata: (.*)\n/g)].map(
      (m) => JSON.parse(m[1]!) as { marker: number; nodeId: string | null },
    );
    expect(citations.length).toBeGreaterThan(0);
    for (const c of citations) expect(c.nodeId).toBe(sources.sourceNodes[c.marker - 1]!.id);
    // A chat that asks for citations answers through condense_question's citing query engine.
    const chat = await (
      await fetch(`${url}/api/chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "What did the author do growing up?", citations: true }),
      })
    ).text();
    expect(chat).toMatch(/event: citation/);
    interrupt.abort();
    expect(await running).toBe(0);
  });

  it("refuses to bind beyond loopback without a token", async () => {
    await runCli(["ingest", "docs"], { cwd: dir });
    const r = await runCli(["serve", "--host", "0.0.0.0", "--port", "0"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/without a token/);
  });
});
