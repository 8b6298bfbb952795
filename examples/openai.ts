/**
 * Streaming answers from OpenAI, or from any OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp).
 * In your project, import from "streamdex" and "streamdex/openai" instead of "../src/…".
 *
 *   OPENAI_API_KEY=sk-… npx tsx examples/openai.ts "What did the author do growing up?"
 *
 *   # a local Ollama (no key): ollama pull llama3.2 && ollama pull nomic-embed-text
 *   OPENAI_BASE_URL=http://localhost:11434/v1 LLM_MODEL=llama3.2 EMBED_MODEL=nomic-embed-text npx tsx examples/openai.ts
 *
 *   # llama.cpp's server: llama-server -m model.gguf --embeddings --port 8080
 *   OPENAI_BASE_URL=http://localhost:8080/v1 LLM_MODEL=local EMBED_MODEL=local npx tsx examples/openai.ts
 */
import { fileURLToPath } from "node:url";
import { Settings, SimpleDirectoryReader, StreamdexError, VectorStoreIndex } from "../src/index.js";
import { OpenAI, OpenAIEmbedding } from "../src/providers/openai/index.js";

const question = process.argv[2] ?? "What did the author do growing up?";
const local = process.env.OPENAI_BASE_URL !== undefined;

try {
  // With OPENAI_BASE_URL set (a local server) no key is needed; otherwise OPENAI_API_KEY must be set.
  Settings.llm = new OpenAI({ model: process.env.LLM_MODEL ?? "gpt-4o-mini", temperature: 0 });
  Settings.embedModel = new OpenAIEmbedding({
    model: process.env.EMBED_MODEL ?? "text-embedding-3-small",
    // Ollama and llama.cpp return JSON floats; OpenAI's base64 transfer is smaller and faster to decode.
    encodingFormat: local ? "float" : "base64",
  });

  const documents = await new SimpleDirectoryReader().loadData(
    fileURLToPath(new URL("./data", import.meta.url)),
  );
  const index = await VectorStoreIndex.fromDocuments(documents);
  const engine = index.asQueryEngine({ streaming: true, similarityTopK: 2 });

  // Ctrl-C aborts the HTTP request instead of leaving the model generating for nobody.
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());

  const response = await engine.query(question, { signal: controller.signal });
  console.log(`Sources: ${response.sourceNodes.map((s) => s.node.metadata.file_name).join(", ")}\n`);
  await response.printResponseStream();
  const { usage } = await response.getResponse();
  if (usage) console.log(`\n\n(${usage.promptTokens} prompt + ${usage.completionTokens} completion tokens)`);
} catch (error) {
  // Typed errors say what went wrong and what to do (and never contain the key).
  console.error(error instanceof StreamdexError ? `${error.name}: ${error.message}` : error);
  process.exitCode = 1;
}
