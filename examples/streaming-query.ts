/**
 * The seed example, end to end: read documents, index them, and stream the answer to a question as it is
 * written. Runs offline with no key: `npm run demo`. In your project, import from "streamdex" instead of
 * "../src/index.js".
 *
 *   npm run demo                                   # the seed's question
 *   npm run demo -- "Where is the company's office?"
 */
import { fileURLToPath } from "node:url";
import {
  ExtractiveLLM,
  getResponseSynthesizer,
  MockEmbedding,
  RetrieverQueryEngine,
  Settings,
  SimpleDirectoryReader,
  VectorStoreIndex,
} from "../src/index.js";

const dataDir = fileURLToPath(new URL("./data", import.meta.url));
const question = process.argv[2] ?? "What did the author do growing up?";

// No LLM is configured here: the OpenAI provider (streamdex/openai) is not part of this build yet, so the demo
// answers with the extractive LLM, which quotes the sentences that best match the question, streamed through
// the same path a real model's tokens take.
Settings.llm = new ExtractiveLLM({ chunkDelayMs: 25 });
Settings.embedModel = new MockEmbedding({ dimensions: 256 });
console.log(
  process.env.OPENAI_API_KEY
    ? "streamdex demo: OPENAI_API_KEY is set, but the OpenAI provider is not in this build yet; answering with the " +
        "extractive LLM (quotes the best-matching sentences), offline hashed bag-of-words embeddings."
    : "streamdex demo: no LLM configured, answering with the extractive LLM (quotes the best-matching sentences); " +
        "embeddings: offline hashed bag-of-words.",
);

const documents = await new SimpleDirectoryReader().loadData(dataDir);
const index = await VectorStoreIndex.fromDocuments(documents, { chunkSize: 256, chunkOverlap: 32 });
console.log(`Indexed ${documents.length} documents into ${index.docStore.size} chunks.\n`);

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
