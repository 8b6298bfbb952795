// The web page's citations in a real browser: markers become links to their source cards as they stream in, and a
// marker with no source is struck out; under the page's CSP, with a screenshot for a person to look at.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { MockLLM, TextNode } from "../../src/index.js";
import { startServer } from "../../src/server/index.js";
import { CHROMIUM, CHROMIUM_ARGS, checkChromium, requireChromium } from "./chromium.js";
import { engineFactory, Servers } from "./support.js";

const chromiumCheck = checkChromium();
/** A browser test: skipped (saying why) without Chromium, failed on CI without it. */
const browserIt = chromiumCheck.kind === "skip" ? it.skip : it;
const skipped = chromiumCheck.kind === "skip" ? ` (skipped: ${chromiumCheck.reason})` : "";

const servers = new Servers();
afterEach(() => servers.closeAll());

/** A cited answer whose markers are split over chunks, with one marker that has no source and one group. */
const CHUNKS = [
  "Paris",
  " [",
  "1",
  "]",
  " is the capital",
  " and [9].",
  " Lyon [2",
  "] is the second city;",
  " both are in France [1, 2].",
];
const ANSWER = CHUNKS.join("");

/** Where the screenshot goes (the OS temp dir: nothing is written into the repository). */
const CITATIONS_SCREENSHOT = join(tmpdir(), "streamdex-citations.png");

interface Mark {
  kind: "link" | "missing";
  text: string;
  href: string | null;
  title: string;
}

describe("citations on the web page, in a real browser", () => {
  browserIt(
    `markers become links to their source cards as they arrive; [9] is struck out (screenshot in the temp dir)${skipped}`,
    async () => {
      requireChromium(chromiumCheck);
      const llm = new MockLLM({ response: ANSWER, chunking: () => CHUNKS, chunkDelayMs: 120 });
      const sources = [
        ["memoir.md", "Paris is the capital of France, on the Seine."],
        ["atlas.md", "Lyon is France's second city, where the Rhône meets the Saône."],
      ].map(([file_name, text], i) => ({
        node: new TextNode({ id: `s${i}`, text: text!, metadata: { file_name } }),
        score: 0.9 - i / 10,
      }));
      const factories = engineFactory(llm, sources);
      const server = await startServer({ createEngine: factories.createEngine });
      servers.track({ server });

      const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      try {
        const page = await browser.newPage({ viewport: { width: 900, height: 820 } });
        const pageErrors: string[] = []; // a CSP violation is reported as a console error
        page.on("pageerror", (e) => pageErrors.push(e.message));
        page.on("console", (m) => m.type() === "error" && pageErrors.push(m.text()));
        await page.goto(server.url);
        expect(await page.getByLabel("Cite sources").isChecked()).toBe(true);
        await page.getByLabel("Question").fill("What are the main cities of France?");
        await page.getByRole("button", { name: "Ask" }).click();

        // [1] is a link as soon as its "]" arrived, while the answer is still streaming and [9] not yet written.
        await page.waitForFunction(() => document.querySelector("#answer a.cite-link") !== null);
        const early = await page.evaluate(() => ({
          state: document.getElementById("answer")!.getAttribute("data-state"),
          text: document.getElementById("answer")!.textContent,
          link: document.querySelector("#answer a.cite-link")!.getAttribute("href"),
        }));
        expect(early.state).toBe("streaming");
        expect(early.link).toBe("#source-1");
        expect(ANSWER.startsWith(early.text!)).toBe(true);
        expect(early.text).not.toContain("[9]");

        await page.waitForFunction(
          () => document.getElementById("answer")!.getAttribute("data-state") === "done",
        );
        expect(await page.locator("#answer").textContent()).toBe(ANSWER); // the text is kept as written
        const marks = await page.evaluate(() =>
          Array.from(document.querySelectorAll("#answer a.cite-link, #answer s.cite-missing"), (el) => ({
            kind: el.tagName === "A" ? "link" : "missing",
            text: el.textContent ?? "",
            href: el.getAttribute("href"),
            title: el.getAttribute("title") ?? "",
          })),
        );
        expect(marks).toEqual<Mark[]>([
          { kind: "link", text: "[1]", href: "#source-1", title: "Source 1: memoir.md" },
          {
            kind: "missing",
            text: "[9]",
            href: null,
            title: "No such source: [9] cites none of the 2 sources",
          },
          { kind: "link", text: "[2]", href: "#source-2", title: "Source 2: atlas.md" },
          { kind: "link", text: "1", href: "#source-1", title: "Source 1: memoir.md" }, // in the group [1, 2]
          { kind: "link", text: "2", href: "#source-2", title: "Source 2: atlas.md" },
        ]);
        expect(await page.locator("#answer .cite-group").textContent()).toBe("[1, 2]");
        // Each link's target is its source card, numbered as the marker.
        expect(await page.locator("#source-1 .file-name").textContent()).toBe("memoir.md");
        expect(await page.locator("#source-1 .source-number").textContent()).toBe("[1]");
        expect(await page.locator("#source-2 .file-name").textContent()).toBe("atlas.md");
        expect(
          await page
            .locator("#answer s.cite-missing")
            .evaluate((el) => getComputedStyle(el).textDecorationLine),
        ).toBe("line-through");
        expect(await page.getByRole("status").textContent()).toMatch(
          /^Done · 5 citations \(1 with no source\) · \d+ tokens\.$/,
        );

        // Hovering a marker highlights its card; a click keeps it highlighted; hovering a card, its markers.
        const first = page.locator("#answer a.cite-link").first();
        await first.hover();
        expect(await page.locator("#source-1").getAttribute("class")).toContain("hovered");
        expect(await page.locator("#source-2").getAttribute("class")).toBeNull();
        await page.locator("#source-2").hover();
        expect(await page.locator("#source-1").getAttribute("class")).not.toContain("hovered");
        expect(
          await page
            .locator('#answer a.cite-link[href="#source-2"]')
            .evaluateAll((els) => els.map((el) => el.classList.contains("hovered"))),
        ).toEqual([true, true]);
        await page.locator("#answer a.cite-link").nth(1).click();
        expect(await page.locator("#source-2").getAttribute("class")).toContain("picked");
        expect(page.url()).toBe(server.url.endsWith("/") ? server.url : `${server.url}/`); // no navigation
        await first.hover();
        await page.screenshot({ path: CITATIONS_SCREENSHOT, fullPage: true });

        // Asked with citations; unticked, the next question asks without, and [1] stays plain text.
        await page.getByLabel("Cite sources").uncheck();
        await page.getByLabel("Question").fill("And without citations?");
        await page.getByRole("button", { name: "Ask" }).click();
        await page.waitForFunction(
          () => document.getElementById("answer")!.getAttribute("data-state") === "done",
        );
        expect(await page.locator("#answer").textContent()).toBe(ANSWER);
        expect(await page.locator("#answer a, #answer s").count()).toBe(0);
        expect(await page.locator("#sources .source-number").count()).toBe(0);
        expect(factories.requests.map((r) => r.citations)).toEqual([true, false]);
        expect(pageErrors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});
