/**
 * Streaming answers from a LangChain chat model (here ChatOpenAI; ChatAnthropic, ChatOllama... work the same).
 * In your project, import from "streamdex" and "streamdex/langchain" instead of "../src/…", and install
 * `@langchain/core` plus the LangChain integration you use (e.g. `@langchain/openai`).
 *
 *   OPENAI_API_KEY=sk-… npx tsx examples/langchain.ts "What did the author do growing up?"
 *
 *   # an OpenAI-compatible local server (Ollama): no key needed
 *   OPENAI_BASE_URL=http://localhost:11434/v1 LLM_MODEL=llama3.2 EMBED_MODEL=nomic-embed-text npx tsx examples/langchain.ts
 *
 * Without either variable it runs offline with LangChain's FakeListChatModel, which streams a canned answer.
 */
import { fileURLToPath } from "node:url";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { ChatOpenAI, OpenAIEmbeddings } from "@langchain/openai";
import {
  MockEmbedding,
  Settings,
  SimpleDirectoryReader,
  StreamdexError,
  VectorStoreIndex,
} from "../src/index.js";
// Users: import { LangChainEmbedding, LangChainLLM } from "streamdex/langchain";
import { LangChainEmbedding, LangChainLLM } from "../src/providers/langchain/index.js";

const question = process.argv[2] ?? "What did the author do growing up?";
const baseURL = process.env.OPENAI_BASE_URL;
const online = process.env.OPENAI_API_KEY !== undefined || baseURL !== undefined;

try {
  if (online) {
    const connection = { apiKey: process.env.OPENAI_API_KEY ?? "unused", configuration: { baseURL } };
    const chat = new ChatOpenAI({
      model: process.env.LLM_MODEL ?? "gpt-4o-mini",
      temperature: 0,
      ...connection,
    });
    Settings.llm = new LangChainLLM({ llm: chat, contextWindow: 128_000 });
    Settings.embedModel = new LangChainEmbedding(
      new OpenAIEmbeddings({ model: process.env.EMBED_MODEL ?? "text-embedding-3-small", ...connection }),
    );
  } else {
    console.log("(no OPENAI_API_KEY or OPENAI_BASE_URL: using LangChain's FakeListChatModel, offline)\n");
    const fake = new FakeListChatModel({
      responses: ["Growing up, the author wrote short stories and programmed an IBM 1401."],
      sleep: 15,
    });
    Settings.llm = new LangChainLLM(fake);
    Settings.embedModel = new MockEmbedding();
  }

  const documents = await new SimpleDirectoryReader().loadData(
    fileURLToPath(new URL("./data", import.meta.url)),
  );
  const index = await VectorStoreIndex.fromDocuments(documents);
  // Throws NotImplementedError here, before any work, if the LangChain model cannot really stream.
  const engine = index.asQueryEngine({ streaming: true, similarityTopK: 2 });

  // Ctrl-C aborts the model's request (passed to LangChain as the call's signal).
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());

  const response = await engine.query(question, { signal: controller.signal });
  console.log(`Sources: ${response.sourceNodes.map((s) => s.node.metadata.file_name).join(", ")}\n`);
  await response.printResponseStream();
  const { usage } = await response.getResponse();
  if (usage) console.log(`\n\n(${usage.promptTokens} prompt + ${usage.completionTokens} completion tokens)`);
  else console.log();
} catch (error) {
  console.error(error instanceof StreamdexError ? `${error.name}: ${error.message}` : error);
  process.exitCode = 1;
}
