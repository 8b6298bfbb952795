/**
 * Streaming answers from a Hugging Face model run in-process by transformers.js (ONNX Runtime on the CPU): no
 * server, no key. Needs the optional package: `npm install @huggingface/transformers`. In your project, import
 * from "streamdex" and "streamdex/huggingface" instead of "../src/…".
 *
 * The model is a directory in transformers.js's layout (config.json, tokenizer.json, tokenizer_config.json,
 * onnx/model*.onnx), e.g. one of the onnx-community/ or Xenova/ repos, downloaded once:
 *
 *   huggingface-cli download onnx-community/Qwen2.5-0.5B-Instruct --local-dir ./models/Qwen2.5-0.5B-Instruct \
 *     --include "*.json" "onnx/model_q4.onnx"
 *   # or: git lfs install && git clone https://huggingface.co/onnx-community/Qwen2.5-0.5B-Instruct models/Qwen2.5-0.5B-Instruct
 *   huggingface-cli download Xenova/all-MiniLM-L6-v2 --local-dir ./models/all-MiniLM-L6-v2
 *
 *   HF_MODEL=./models/Qwen2.5-0.5B-Instruct HF_DTYPE=q4 npx tsx examples/huggingface.ts "What did the author do growing up?"
 *   HF_MODEL=./models/Qwen2.5-0.5B-Instruct HF_DTYPE=q4 HF_EMBED_MODEL=./models/all-MiniLM-L6-v2 npx tsx examples/huggingface.ts
 *
 * Environment: HF_MODEL (a model directory, or a Hub id transformers.js downloads and caches when online),
 * HF_DTYPE (fp32, fp16, q8, q4, q4f16…: which onnx/model*.onnx to load; default: the model's choice, else fp32),
 * HF_EMBED_MODEL (a sentence-embedding model directory; without it retrieval uses offline hashed bag-of-words
 * embeddings), HF_MAX_NEW_TOKENS (default 256), HF_OFFLINE=1 (never reach the Hub, even for ids).
 */
import { fileURLToPath } from "node:url";
import {
  MockEmbedding,
  Settings,
  SimpleDirectoryReader,
  StreamdexError,
  VectorStoreIndex,
} from "../src/index.js";
import {
  type HuggingFaceDtype,
  HuggingFaceEmbedding,
  HuggingFaceLLM,
} from "../src/providers/huggingface/index.js";

const model = process.env.HF_MODEL;
const question = process.argv[2] ?? "What did the author do growing up?";

if (!model) {
  console.error(
    'usage: HF_MODEL=<model dir | hub id> [HF_DTYPE=q4] npx tsx examples/huggingface.ts ["question"]',
  );
  process.exit(2);
}

if (process.env.HF_OFFLINE === "1") {
  const { env } = await import("@huggingface/transformers");
  env.allowRemoteModels = false; // Hub ids then fail with ModelNotDownloadedError instead of downloading
}

let llm: HuggingFaceLLM | undefined;
let embedModel: HuggingFaceEmbedding | undefined;
try {
  llm = new HuggingFaceLLM({
    model,
    dtype: process.env.HF_DTYPE as HuggingFaceDtype | undefined,
    maxNewTokens: Number(process.env.HF_MAX_NEW_TOKENS ?? 256), // greedy (doSample: false) by default
  });
  Settings.llm = llm;
  // Count chunk sizes and prompts in this model's own tokens, so packed prompts fit its context exactly.
  Settings.tokenizer = await llm.getTokenizer();
  if (process.env.HF_EMBED_MODEL) {
    embedModel = new HuggingFaceEmbedding({ model: process.env.HF_EMBED_MODEL, pooling: "mean" });
    Settings.embedModel = embedModel;
  } else {
    Settings.embedModel = new MockEmbedding({ dimensions: 256 });
  }

  const documents = await new SimpleDirectoryReader().loadData(
    fileURLToPath(new URL("./data", import.meta.url)),
  );
  const index = await VectorStoreIndex.fromDocuments(documents, { chunkSize: 256, chunkOverlap: 32 });
  const engine = index.asQueryEngine({ streaming: true, similarityTopK: 2 });

  // Ctrl-C stops generation after the token in flight, instead of generating for nobody.
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
  // Typed errors say what went wrong: a file missing from the model directory, an architecture transformers.js
  // cannot run, a Hub id that is not downloaded while offline, the optional package not installed...
  console.error(error instanceof StreamdexError ? `${error.name}: ${error.message}` : error);
  process.exitCode = 1;
} finally {
  await llm?.dispose();
  await embedModel?.dispose();
}
