/**
 * `streamdex/openai`: OpenAI's LLMs and embeddings through the official SDK, and every OpenAI-compatible
 * server (Ollama, vLLM, LM Studio, llama.cpp's server) through `baseURL`.
 *
 * @example
 * ```ts
 * import { OpenAI, OpenAIEmbedding } from "streamdex/openai";
 * Settings.llm = new OpenAI({ model: "gpt-4o-mini" });
 * Settings.embedModel = new OpenAIEmbedding();
 * ```
 * @module
 */

export type { OpenAIClientOptions } from "./client.js";
export type { FetchFunction } from "./http-transport.js";
export type { OpenAIEmbeddingOptions } from "./openai-embedding.js";
export { OpenAIEmbedding } from "./openai-embedding.js";
export type { OpenAIOptions } from "./openai-llm.js";
export { OpenAI } from "./openai-llm.js";
