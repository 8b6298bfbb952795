import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHttpFetch } from "../../../src/providers/openai/http-transport.js";
import type { FetchFunction } from "../../../src/providers/openai/index.js";
import { cleanEnv } from "../../support/clean-env.js";
import {
  closed,
  drainOrClose,
  type ScriptedServer,
  startScriptedServer,
} from "../../support/loopback-scripted-server.js";

let server: ScriptedServer;
let fetchHttp: FetchFunction;
beforeEach(async () => {
  server = await startScriptedServer();
  fetchHttp = createHttpFetch();
});
afterEach(() => server.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the server's writer did: bytes handed to `write()`, times it returned false, and whether it finished. */
interface WriteStats {
  written: number;
  refused: number;
  finished: boolean;
  clientClosed: boolean;
}

/** Streams `total` bytes in 64 KiB writes, waiting for 'drain' whenever `write()` returns false. */
function respondWithStream(total: number): WriteStats {
  const stats: WriteStats = { written: 0, refused: 0, finished: false, clientClosed: false };
  server.respond(async (_req, res) => {
    res.once("close", () => {
      stats.clientClosed = !res.writableFinished;
    });
    res.writeHead(200, { "content-type": "application/octet-stream" });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    while (stats.written < total && !res.destroyed) {
      stats.written += chunk.length;
      if (!res.write(chunk)) {
        stats.refused++;
        if (!(await drainOrClose(res))) return;
      }
    }
    if (!res.destroyed) res.end(() => (stats.finished = true));
  });
  return stats;
}

describe("http transport: backpressure", () => {
  it("a body nobody reads stops the server's writes; reading resumes them; cancel closes the connection", async () => {
    const stats = respondWithStream(256 * 1024 * 1024);
    const res = await fetchHttp(server.origin);
    // Until the server's writes stop (they must, long before the 256 MiB body is out).
    let stalled = -1;
    while (stats.written !== stalled && stats.written < 32 * 1024 * 1024) {
      stalled = stats.written;
      await sleep(150);
    }
    expect(stats.refused).toBeGreaterThan(0);
    // What the kernel's socket buffers and the stream's 64 KiB queue hold, not the 256 MiB body.
    expect(stalled).toBeLessThan(32 * 1024 * 1024);
    await sleep(200);
    expect(stats.written).toBe(stalled);

    const reader = res.body!.getReader();
    let read = 0;
    while (read < stalled + 4 * 1024 * 1024) read += (await reader.read()).value!.length;
    expect(stats.written).toBeGreaterThan(stalled);
    await reader.cancel();
    await server.waitFor(() => stats.clientClosed);
    expect(stats.finished).toBe(false);
  });
});

describe("http transport: aborts", () => {
  it("an aborted signal rejects with an AbortError DOMException: already aborted, and while waiting for headers", async () => {
    let hold!: Promise<void>;
    server.respond((_req, res) => {
      hold = closed(res);
      return hold;
    });
    const before = await fetchHttp(server.origin, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(before).toBeInstanceOf(DOMException);
    expect((before as DOMException).name).toBe("AbortError");
    expect(server.requests).toHaveLength(0);

    const ac = new AbortController();
    const pending = fetchHttp(server.origin, { method: "POST", body: "x", signal: ac.signal });
    await server.waitFor(() => server.requests.length === 1);
    ac.abort();
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DOMException);
    expect((err as DOMException).name).toBe("AbortError");
    await hold; // the server saw the connection close
  });

  it("aborting mid-body errors the body with the reason and closes the connection", async () => {
    const stats = respondWithStream(64 * 1024 * 1024);
    const ac = new AbortController();
    const reader = (await fetchHttp(server.origin, { signal: ac.signal })).body!.getReader();
    await reader.read();
    ac.abort();
    const err = await reader.read().catch((e: unknown) => e);
    expect((err as DOMException).name).toBe("AbortError");
    await server.waitFor(() => stats.clientClosed);
  });
});

describe("http transport: failures, as fetch reports them", () => {
  it("connection refused and a socket hang-up before headers are TypeError('fetch failed') with the cause", async () => {
    const dead = await startScriptedServer();
    const port = dead.port;
    await dead.close();
    const refused = (await fetchHttp(`http://127.0.0.1:${port}/`).catch((e: unknown) => e)) as TypeError;
    expect(refused).toBeInstanceOf(TypeError);
    expect(refused.message).toBe("fetch failed");
    expect((refused.cause as { code?: string }).code).toBe("ECONNREFUSED");

    server.respond((req) => {
      req.socket.destroy();
    });
    const hangUp = (await fetchHttp(server.origin).catch((e: unknown) => e)) as TypeError;
    expect(hangUp).toBeInstanceOf(TypeError);
    expect((hangUp.cause as { code?: string }).code).toBe("ECONNRESET");
  });

  it("a server closing mid-body errors the body with TypeError('terminated')", async () => {
    server.respond((_req, res) => {
      res.writeHead(200, { "content-length": "1000" });
      res.write("x".repeat(400), () => res.socket?.destroy());
    });
    const res = await fetchHttp(server.origin);
    const err = await res.text().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toBe("terminated");
  });
});

describe("http transport: keep-alive", () => {
  const ROOT = resolve(import.meta.dirname, "../../..");
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "streamdex-transport-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("sequential requests share one connection", async () => {
    server.respond((_req, res) => {
      res.end("ok");
    });
    for (let i = 0; i < 3; i++) expect(await (await fetchHttp(server.origin)).text()).toBe("ok");
    expect(server.requests.map((r) => r.connection)).toEqual([1, 1, 1]);
    expect(server.connections).toBe(1);
  });

  it("an idle pooled connection does not keep the process alive", async () => {
    server.respond((_req, res) => {
      res.end("ok");
    });
    const file = join(dir, "child.mjs");
    const transport = pathToFileURL(join(ROOT, "src/providers/openai/http-transport.ts")).href;
    writeFileSync(
      file,
      `import { createHttpFetch } from ${JSON.stringify(transport)};
const f = createHttpFetch();
for (let i = 0; i < 2; i++) await (await f(${JSON.stringify(server.origin)})).text();
const idleSince = performance.now();
process.on("exit", () => console.log(JSON.stringify({ idleMs: performance.now() - idleSince })));
`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", file], {
      cwd: ROOT,
      env: cleanEnv(),
      timeout: 15_000,
    });
    const { idleMs } = JSON.parse(stdout) as { idleMs: number };
    // The socket stays pooled (one connection for both requests) but unref'd: the child exits at once, well
    // before the pool's 4 s idle timeout or the server's 5 s keep-alive timeout would close it.
    expect(idleMs).toBeLessThan(1_500);
    expect(server.requests.map((r) => r.connection)).toEqual([1, 1]);
  });
});
