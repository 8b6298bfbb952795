/**
 * Streaming answers from a local GGUF model run in-process by llama.cpp: no server, no key, no network.
 * Needs the optional package: `npm install node-llama-cpp`. In your project, import from "streamdex" and
 * "streamdex/llamacpp" instead of "../src/…".
 *
 *   npx tsx examples/llamacpp.ts ./models/qwen2.5-0.5b-instruct-q4_k_m.gguf "What did the author do growing up?"
 *   LLAMA_MODEL=./models/model.gguf LLAMA_EMBED_MODEL=./models/nomic-embed-text-v1.5.Q8_0.gguf npx tsx examples/llamacpp.ts
 *
 * The model path may also be a URI node-llama-cpp downloads once (`hf:user/repo:Q4_K_M`). Without
 * LLAMA_EMBED_MODEL, retrieval uses offline hashed bag-of-words embeddings.
 */
import { fileURLToPath } from "node:url";
import {
  MockEmbedding,
  Settings,
  SimpleDirectoryReader,
  StreamdexError,
  VectorStoreIndex,
} from "../src/index.js";
import { LlamaCpp, LlamaCppEmbedding } from "../src/providers/llamacpp/index.js";

const modelPath = process.argv[2] ?? process.env.LLAMA_MODEL;
const question = process.argv[3] ?? "What did the author do growing up?";

if (!modelPath) {
  console.error("usage: npx tsx examples/llamacpp.ts <model.gguf | hf:user/repo:quant> [question]");
  process.exit(2);
}

let llm: LlamaCpp | undefined;
let embedModel: LlamaCppEmbedding | undefined;
try {
  llm = new LlamaCpp({ modelPath, temperature: 0 }); // maxTokens: 512, or a quarter of a smaller context
  Settings.llm = llm;
  // Count chunk sizes and prompts in this model's own tokens, so packed prompts fit its context exactly.
  Settings.tokenizer = await llm.getTokenizer();
  if (process.env.LLAMA_EMBED_MODEL) {
    embedModel = new LlamaCppEmbedding({ modelPath: process.env.LLAMA_EMBED_MODEL });
    Settings.embedModel = embedModel;
  } else {
    Settings.embedModel = new MockEmbedding({ dimensions: 256 });
  }

  const documents = await new SimpleDirectoryReader().loadData(
    fileURLToPath(new URL("./data", import.meta.url)),
  );
  const index = await VectorStoreIndex.fromDocuments(documents, { chunkSize: 256, chunkOverlap: 32 });
  const engine = index.asQueryEngine({ streaming: true, similarityTopK: 2 });

  // Ctrl-C stops llama.cpp after the token in flight, instead of generating for nobody.
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());

  console.log(
    `Model: ${llm.metadata.model} (context ${llm.metadata.contextWindow} tokens)\nQ: ${question}\nA: `,
  );
  const response = await engine.query(question, { signal: controller.signal });
  await response.printResponseStream();
  const { usage } = await response.getResponse();
  if (usage) console.log(`\n\n(${usage.promptTokens} prompt + ${usage.completionTokens} generated tokens)`);
  console.log(`Sources: ${response.sourceNodes.map((s) => s.node.metadata.file_name).join(", ")}`);
} catch (error) {
  // Typed errors say what went wrong: a missing or non-GGUF file, not enough memory, no network for hf: URIs...
  console.error(error instanceof StreamdexError ? `${error.name}: ${error.message}` : error);
  process.exitCode = 1;
} finally {
  await llm?.dispose();
  await embedModel?.dispose();
}
