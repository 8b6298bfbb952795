import { chromium, type Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { MockLLM, TextNode } from "../../src/index.js";
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
const REASONING = Array.from({ length: 30 }, (_, i) => `ponder${i}`).join(" ");
const SHORT_ANSWER = Array.from({ length: 12 }, (_, i) => `word${i}`).join(" ");

async function answerState(page: Page): Promise<{ length: number; state: string | null }> {
  return page.evaluate(() => {
    const answer = document.getElementById("answer")!;
    return { length: answer.textContent!.length, state: answer.getAttribute("data-state") };
  });
}

interface PageView {
  answer: string;
  answerState: string | null;
  reasoning: string;
  reasoningState: string | null;
  blockHidden: boolean;
  blockOpen: boolean;
  note: string;
}

async function pageView(page: Page): Promise<PageView> {
  return page.evaluate(() => {
    const block = document.getElementById("reasoning-block") as HTMLDetailsElement;
    const reasoning = document.getElementById("reasoning")!;
    const answer = document.getElementById("answer")!;
    return {
      answer: answer.textContent ?? "",
      answerState: answer.getAttribute("data-state"),
      reasoning: reasoning.textContent ?? "",
      reasoningState: reasoning.getAttribute("data-state"),
      blockHidden: block.hidden,
      blockOpen: block.open,
      note: document.getElementById("reasoning-note")!.textContent ?? "",
    };
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
        expect(await page.locator("#reasoning-block").isHidden()).toBe(true); // the model gave no reasoning
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

  browserIt(
    `streams a reasoning model's reasoning into a Reasoning block above the answer, never into the answer (screenshot in /tmp)${skipped}`,
    async () => {
      requireChromium(chromiumCheck);
      const llm = new MockLLM({ reasoning: REASONING, response: SHORT_ANSWER, chunkDelayMs: 35 });
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

      const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      try {
        const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
        const pageErrors: string[] = []; // a CSP violation is reported as a console error
        page.on("pageerror", (e) => pageErrors.push(e.message));
        page.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));
        await page.goto(server.url);
        expect((await pageView(page)).blockHidden).toBe(true); // no block until a model reasons
        await page.getByLabel("Question").fill("What did the keeper write?");
        await page.getByRole("button", { name: "Ask" }).click();

        const views: PageView[] = [];
        const reasoningSizes = new Set<number>();
        let shot = false;
        let view = await pageView(page);
        for (let i = 0; i < 400 && view.answerState !== "done"; i++) {
          views.push(view);
          if (view.answer === "" && view.reasoning.length > 0) {
            reasoningSizes.add(view.reasoning.length);
            expect(view).toMatchObject({
              blockHidden: false,
              blockOpen: true,
              reasoningState: "streaming",
              answerState: "thinking",
            });
            if (!shot && view.reasoning.length > REASONING.length / 2) {
              await page.screenshot({ path: "/tmp/streamdex-reasoning-streaming.png", fullPage: true });
              shot = true;
            }
          }
          await new Promise((r) => setTimeout(r, 20));
          view = await pageView(page);
        }
        expect(view.answerState).toBe("done");
        // The reasoning grew on screen before the answer began, seen at least three times.
        expect([...reasoningSizes].filter((n) => n < REASONING.length).length).toBeGreaterThanOrEqual(3);
        // The answer area only ever held a prefix of the answer: never a word of the reasoning.
        for (const seen of [...views, view]) expect(SHORT_ANSWER.startsWith(seen.answer)).toBe(true);
        expect(view.answer).toBe(SHORT_ANSWER);
        expect(view.reasoning).toBe(REASONING);
        // Folded once the answer started, its summary saying how long it is.
        expect(view).toMatchObject({ blockHidden: false, blockOpen: false, reasoningState: "done" });
        expect(view.note).toBe("· 30 words");
        expect(await page.getByRole("status").textContent()).toMatch(
          /^Done · \d+ tokens \(30 reasoning\)\.$/,
        );
        expect(await page.locator("#reasoning-block summary").textContent()).toBe("Reasoning · 30 words");

        await page.screenshot({ path: "/tmp/streamdex-reasoning-folded.png", fullPage: true });
        // Opened by the reader: the whole reasoning above the whole answer.
        await page.locator("#reasoning-block summary").click();
        expect((await pageView(page)).blockOpen).toBe(true);
        expect(await page.locator("#reasoning").isVisible()).toBe(true);
        await page.screenshot({ path: "/tmp/streamdex-reasoning.png", fullPage: true });

        // A reader who toggles the block while the model reasons keeps it as they left it.
        await page.getByLabel("Question").fill("And after that?");
        await page.getByRole("button", { name: "Ask" }).click();
        await page.waitForFunction(
          () => (document.getElementById("reasoning")!.textContent ?? "").length > 10,
        );
        expect((await pageView(page)).answer).toBe(""); // a new question starts a new, empty answer
        await page.locator("#reasoning-block summary").click(); // closes it
        await page.locator("#reasoning-block summary").click(); // and opens it again
        await page.waitForFunction(
          () => document.getElementById("answer")!.getAttribute("data-state") === "done",
        );
        expect((await pageView(page)).blockOpen).toBe(true);
        expect(pageErrors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});
