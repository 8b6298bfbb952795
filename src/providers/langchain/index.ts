/**
 * `streamdex/langchain`: any LangChain chat model or LLM (`@langchain/core`) as a streaming streamdex LLM, and
 * any LangChain `Embeddings` as an embedding model. `@langchain/core` is an optional peer dependency, loaded only
 * by this subpath.
 *
 * @example
 * ```ts
 * import { ChatOpenAI, OpenAIEmbeddings } from "@langchain/openai";
 * import { LangChainEmbedding, LangChainLLM } from "streamdex/langchain";
 * Settings.llm = new LangChainLLM(new ChatOpenAI({ model: "gpt-4o-mini" }));
 * Settings.embedModel = new LangChainEmbedding(new OpenAIEmbeddings());
 * ```
 * @module
 */

export type { LangChainEmbeddingOptions } from "./langchain-embedding.js";
export { LangChainEmbedding } from "./langchain-embedding.js";
export type { LangChainLLMOptions } from "./langchain-llm.js";
export { LangChainLLM } from "./langchain-llm.js";
export type { LangChainModel, LangChainModelInfo } from "./model-kind.js";
