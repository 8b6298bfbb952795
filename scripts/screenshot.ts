/**
 * Takes docs/screenshot.png: the web page mid-answer, over the example documents, with the offline extractive
 * LLM and hashed embeddings (no key, no network). Needs /usr/bin/chromium (scripts/install-chromium.sh).
 *
 *   npx tsx scripts/screenshot.ts
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { ExtractiveLLM, MockEmbedding, SimpleDirectoryReader, VectorStoreIndex } from "../src/index.js";
import { startServer } from "../src/server/index.js";
import { CHROMIUM, CHROMIUM_ARGS } from "../test/server/chromium.js";

const dataDir = fileURLToPath(new URL("../examples/data", import.meta.url));
const out = fileURLToPath(new URL("../docs/screenshot.png", import.meta.url));
const question = "What did the author do growing up?";

const embedModel = new MockEmbedding({ dimensions: 64 });
const llm = new ExtractiveLLM({ chunkDelayMs: 60 });
const documents = await new SimpleDirectoryReader().loadData(dataDir);
const index = await VectorStoreIndex.fromDocuments(documents, {
  chunkSize: 256,
  chunkOverlap: 32,
  embedModel,
});
const server = await startServer({
  createEngine: ({ topK, mode, streaming }) =>
    index.asQueryEngine({ streaming, similarityTopK: topK ?? 3, responseMode: mode, llm }),
});
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 960, height: 900 } });
  await page.goto(server.url);
  await page.getByLabel("Question").fill(question);
  await page.getByRole("button", { name: "Ask" }).click();
  // Mid-answer: sources shown, some text written, still streaming.
  await page.waitForFunction(() => {
    const answer = document.getElementById("answer")!;
    return answer.dataset.state === "streaming" && (answer.textContent ?? "").length > 140;
  });
  mkdirSync(fileURLToPath(new URL("../docs", import.meta.url)), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}
