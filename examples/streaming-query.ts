/**
 * The seed example, end to end: read documents, index them, and stream the answer to a question as it is
 * written. Runs offline with no key: `npm run demo`. In your project, import from "streamdex" instead of
 * "../src/index.js".
 *
 *   npm run demo                                   # the seed's question
 *   npm run demo -- "Where is the company's office?"
 *   npm run demo -- --citations                    # the answer cites its sources: [n] markers, numbered Sources
 *   npm run demo -- --citations "Where is the company's office?"
 */
import { fileURLToPath } from "node:url";
import {
  type CitationSource,
  ExtractiveLLM,
  getResponseSynthesizer,
  MockEmbedding,
  RetrieverQueryEngine,
  Settings,
  SimpleDirectoryReader,
  VectorStoreIndex,
} from "../src/index.js";

const dataDir = fileURLToPath(new URL("./data", import.meta.url));
const args = process.argv.slice(2);
const citations = args.includes("--citations");
const question = args.find((a) => a !== "--citations") ?? "What did the author do growing up?";

// With OPENAI_API_KEY (or OPENAI_BASE_URL, for a local OpenAI-compatible server) set, the demo uses OpenAI.
// Otherwise it answers offline with the extractive LLM, which quotes the sentences that best match the question,
// streamed through the same path a real model's tokens take.
if (process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL) {
  const { OpenAI, OpenAIEmbedding } = await import("../src/providers/openai/index.js");
  Settings.llm = new OpenAI({ model: process.env.LLM_MODEL ?? "gpt-4o-mini" });
  Settings.embedModel = new OpenAIEmbedding({ model: process.env.EMBED_MODEL ?? "text-embedding-3-small" });
  console.log(`streamdex demo: using OpenAI (${process.env.OPENAI_BASE_URL ?? "api.openai.com"}).`);
} else {
  Settings.llm = new ExtractiveLLM({ chunkDelayMs: 25 });
  Settings.embedModel = new MockEmbedding({ dimensions: 256 });
  console.log(
    "streamdex demo: no LLM configured (set OPENAI_API_KEY to use OpenAI), answering with the extractive LLM " +
      "(quotes the best-matching sentences); embeddings: offline hashed bag-of-words.",
  );
}

const documents = await new SimpleDirectoryReader().loadData(dataDir);
const index = await VectorStoreIndex.fromDocuments(documents, { chunkSize: 256, chunkOverlap: 32 });
console.log(`Indexed ${documents.length} documents into ${index.docStore.size} chunks.\n`);

if (citations) await citedAnswer();
else await answers();

async function answers(): Promise<void> {
  // High-level API: streaming: true makes query() resolve to a StreamingResponse as soon as the LLM call starts.
  const queryEngine = index.asQueryEngine({ streaming: true, similarityTopK: 1 });
  console.log(`Q: ${question}\nA: `);
  const streamingResponse = await queryEngine.query(question);
  for await (const text of streamingResponse.responseGen) process.stdout.write(text);
  console.log("\n");

  // Low-level API: the same engine composed by hand, printing with printResponseStream().
  const synth = getResponseSynthesizer({ streaming: true, responseMode: "compact" });
  const engine2 = new RetrieverQueryEngine({
    retriever: index.asRetriever({ similarityTopK: 2 }),
    responseSynthesizer: synth,
  });
  const second = await engine2.query(question);
  console.log("Sources:");
  for (const { node, score } of second.sourceNodes) {
    console.log(
      `  ${String(node.metadata.file_name)}  score=${score?.toFixed(3)}  "${node.text.slice(0, 60).replace(/\s+/g, " ")}…"`,
    );
  }
  console.log("\nA (top 2, compact mode): ");
  await second.printResponseStream();
  console.log("");
}

/**
 * `--citations`: the retrieved chunks become numbered sources, the answer cites them with [n] markers as it streams
 * (the extractive LLM knows which source each quoted sentence came from), and the sources are listed by number.
 */
async function citedAnswer(): Promise<void> {
  const engine = index.asQueryEngine({ streaming: true, similarityTopK: 2, citations: true });
  console.log(`Q: ${question}\nA (citing its sources): `);
  const res = await engine.query(question);
  for await (const part of res.parts) {
    if (part.type === "text-delta") process.stdout.write(part.text);
    else if (part.type === "error") throw part.error;
  }
  console.log("\n\nSources:");
  const cited = new Set(res.citations.map((c) => c.nodeId));
  for (const { node } of res.sourceNodes) {
    const source = node as CitationSource;
    const words = source.text.replace(/\s+/g, " ").trim().split(" ");
    const start = words.slice(0, 12).join(" ") + (words.length > 12 ? "…" : "");
    const note = cited.has(source.id) ? "" : "  (not cited)";
    console.log(`  [${source.number}] ${String(source.metadata.file_name)} — ${start}${note}`);
  }
  const missing = new Set(res.citations.filter((c) => c.nodeId === null).map((c) => c.marker));
  for (const n of missing) console.log(`  [${n}] (no such source: cited but not retrieved)`);
  console.log("");
}
