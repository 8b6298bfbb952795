// The web page resumes an answer after its connection is cut mid-answer, in a real browser: a TCP proxy between
// Chromium and the server destroys every open connection, twice.
import { connect, createServer, type Socket } from "node:net";
import { chromium } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { MockLLM, TextNode } from "../../src/index.js";
import { startServer } from "../../src/server/index.js";
import { CHROMIUM, CHROMIUM_ARGS, checkChromium, requireChromium } from "./chromium.js";
import { engineFactory, Servers, until } from "./support.js";

const chromiumCheck = checkChromium();
const browserIt = chromiumCheck.kind === "skip" ? it.skip : it;
const skipped = chromiumCheck.kind === "skip" ? ` (skipped: ${chromiumCheck.reason})` : "";

const servers = new Servers();
afterEach(() => servers.closeAll());

/** A TCP proxy to `port`; `cut()` destroys every connection through it (as a dropped network does). */
async function tcpProxy(port: number) {
  const open = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = connect(port, "127.0.0.1");
    for (const s of [client, upstream]) {
      open.add(s);
      s.on("error", () => {});
      s.on("close", () => {
        open.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const address = proxy.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    cut: () => {
      for (const s of open) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        proxy.close(() => resolve());
      }),
  };
}

const ANSWER = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ");

describe("the web page resumes a dropped answer (Chromium)", () => {
  browserIt(
    `cut twice mid-answer: the page reconnects with Last-Event-ID and shows the whole answer once (screenshot in /tmp)${skipped}`,
    async () => {
      requireChromium(chromiumCheck);
      const llm = new MockLLM({ response: ANSWER, chunkDelayMs: 40 });
      const sources = [
        {
          node: new TextNode({
            id: "s0",
            text: "The keeper's log, 1931.",
            metadata: { file_name: "log.md" },
          }),
          score: 0.8,
        },
      ];
      const server = await startServer({ createEngine: engineFactory(llm, sources).createEngine });
      servers.track({ server });
      const proxy = await tcpProxy(server.port);
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      try {
        const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
        const pageErrors: string[] = [];
        page.on("pageerror", (e) => pageErrors.push(e.message));
        const resumes: { url: string; lastEventId: string | undefined }[] = [];
        page.on("request", (r) => {
          if (r.url().includes("/api/answers/")) {
            resumes.push({ url: r.url(), lastEventId: r.headers()["last-event-id"] });
          }
        });
        await page.goto(proxy.url);
        await page.getByLabel("Question").fill("What did the keeper write?");
        await page.getByRole("button", { name: "Ask" }).click();
        const answerText = () => page.evaluate(() => document.getElementById("answer")!.textContent ?? "");
        const statuses = new Set<string>();
        const watch = setInterval(() => {
          page
            .getByRole("status")
            .textContent()
            .then((t) => t && statuses.add(t))
            .catch(() => {});
        }, 20);
        try {
          for (const at of [80, 250]) {
            await page.waitForFunction(
              (n) => (document.getElementById("answer")!.textContent ?? "").length > n,
              at,
            );
            proxy.cut();
            if (at === 80) {
              await page.waitForFunction(() =>
                (document.getElementById("status")!.textContent ?? "").startsWith("Connection lost"),
              );
              await page.screenshot({ path: "/tmp/streamdex-resume-dropped.png", fullPage: true });
            }
          }
          await page.waitForFunction(
            () => document.getElementById("answer")!.getAttribute("data-state") === "done",
            undefined,
            { timeout: 15_000 },
          );
        } finally {
          clearInterval(watch);
        }
        // The whole answer, once: no word lost or repeated across the two drops.
        expect(await answerText()).toBe(ANSWER);
        expect(await page.getByRole("status").textContent()).toMatch(/^Done · \d+ tokens\.$/);
        expect([...statuses].some((s) => s.startsWith("Connection lost: resuming"))).toBe(true);
        expect(await page.locator("#sources li").count()).toBe(1);
        // It resumed from the last event it had, twice, and the model answered once, to its end.
        expect(resumes.length).toBeGreaterThanOrEqual(2);
        expect(resumes.every((r) => /^\d+$/.test(r.lastEventId ?? ""))).toBe(true);
        const ids = resumes.map((r) => Number(r.lastEventId));
        expect(ids[0]).toBeGreaterThan(1);
        expect(ids.at(-1)).toBeGreaterThan(ids[0]!);
        expect(llm.calls).toHaveLength(1);
        expect(llm.calls[0]).toMatchObject({ aborted: false, finished: true });
        await page.screenshot({ path: "/tmp/streamdex-resume.png", fullPage: true });

        // Stop still stops at once (the page posts api/answers/<id>/stop before closing its connection).
        await page.getByLabel("Question").fill("And then?");
        await page.getByRole("button", { name: "Ask" }).click();
        await page.waitForFunction(() => (document.getElementById("answer")!.textContent ?? "").length > 10);
        await page.getByRole("button", { name: "Stop" }).click();
        await until(() => llm.calls[1]?.aborted === true);
        expect(await page.getByRole("status").textContent()).toBe("Stopped.");
        expect(pageErrors).toEqual([]);
      } finally {
        await browser.close();
        await proxy.close();
      }
    },
  );
});
