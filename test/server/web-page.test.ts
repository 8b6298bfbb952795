import { chromium, type Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { MockLLM } from "../../src/llms/mock-llm.js";
import { TextNode } from "../../src/schema/node.js";
import { startServer } from "../../src/server/index.js";
import { CHROMIUM, CHROMIUM_ARGS, checkChromium, requireChromium } from "./chromium.js";
import { engineFactory, Servers, until } from "./support.js";

const chromiumCheck = checkChromium();
/** A browser test: skipped (saying why) without Chromium, failed on CI without it. */
const browserIt = chromiumCheck.kind === "skip" ? it.skip : it;
const skipped = chromiumCheck.kind === "skip" ? ` (skipped: ${chromiumCheck.reason})` : "";

const servers = new Servers();
afterEach(() => servers.closeAll());

const ANSWER = Array.from({ length: 40 }, (_, i) => `word${i}`).join(" ");

async function answerState(page: Page): Promise<{ length: number; state: string | null }> {
  return page.evaluate(() => {
    const answer = document.getElementById("answer")!;
    return { length: answer.textContent!.length, state: answer.getAttribute("data-state") };
  });
}

describe("the web page in a real browser", () => {
  browserIt(
    `streams an answer as it is written, lists the sources, and Stop aborts the provider (needs /usr/bin/chromium; .ci/run installs it)${skipped}`,
    async () => {
      requireChromium(chromiumCheck);
      const llm = new MockLLM({ response: ANSWER, chunkDelayMs: 30 });
      const sources = ["memoir.md", "lighthouse.txt"].map((file_name, i) => ({
        node: new TextNode({
          id: `s${i}`,
          text: `Text from ${file_name}, about the author.`,
          metadata: { file_name },
        }),
        score: 0.9 - i / 10,
      }));
      const server = await startServer({ createEngine: engineFactory(llm, sources).createEngine });
      servers.track({ server });

      const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      try {
        const page = await browser.newPage();
        const pageErrors: string[] = [];
        page.on("pageerror", (e) => pageErrors.push(e.message));
        page.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));
        await page.goto(server.url);
        await page.getByLabel("Question").fill("What did the author do growing up?");
        await page.getByRole("button", { name: "Ask" }).click();

        // The answer grows on screen while it streams, observed at least three times before it is done.
        const growing = new Set<number>();
        let last = await answerState(page);
        for (let i = 0; i < 200 && last.state !== "done"; i++) {
          if (last.state === "streaming" && last.length > 0) growing.add(last.length);
          await new Promise((r) => setTimeout(r, 25));
          last = await answerState(page);
        }
        expect(last.state).toBe("done");
        expect(growing.size).toBeGreaterThanOrEqual(3);
        expect(Math.max(...growing)).toBeLessThan(ANSWER.length);
        expect(await page.locator("#answer").textContent()).toBe(ANSWER);
        expect(await page.getByRole("status").textContent()).toMatch(/^Done · \d+ tokens\.$/);
        const items = page.locator("#sources li");
        expect(await items.count()).toBe(2);
        expect(await items.nth(0).textContent()).toMatch(/memoir\.md\s*score 0\.900.*Text from memoir\.md/);
        expect(await items.nth(1).locator(".file-name").textContent()).toBe("lighthouse.txt");
        expect(llm.calls[0]!.aborted).toBe(false);

        // A second question, stopped mid-answer: the provider sees the abort.
        await page.getByLabel("Question").fill("And then?");
        await page.getByRole("button", { name: "Ask" }).click();
        await page.waitForFunction(() => (document.getElementById("answer")!.textContent ?? "").length > 10);
        await page.getByRole("button", { name: "Stop" }).click();
        await until(() => llm.calls[1]?.aborted === true);
        expect(llm.calls[1]!.chunksProduced).toBeLessThan(40);
        expect(await page.getByRole("status").textContent()).toBe("Stopped.");
        expect(await page.getByRole("button", { name: "Ask" }).isEnabled()).toBe(true);
        expect(pageErrors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});
