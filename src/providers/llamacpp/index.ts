/**
 * `streamdex/llamacpp`: GGUF models run in-process by llama.cpp, through the optional peer dependency
 * `node-llama-cpp` (`npm install node-llama-cpp`). Nothing is imported from it until a model is first used.
 *
 * @example
 * ```ts
 * import { Settings } from "streamdex";
 * import { LlamaCpp } from "streamdex/llamacpp";
 * Settings.llm = new LlamaCpp({ modelPath: "./models/qwen2.5-0.5b-instruct-q4_k_m.gguf" });
 * ```
 * @module
 */

export type { ThinkTagsOption } from "../../llms/think-tokens.js";
export { InsufficientMemoryError, LlamaCppModelLoadError } from "./errors.js";
export type { LlamaCppEmbeddingOptions } from "./llamacpp-embedding.js";
export { LlamaCppEmbedding } from "./llamacpp-embedding.js";
export { LlamaCpp } from "./llamacpp-llm.js";
export { MissingDependencyError } from "./load-module.js";
export type { LlamaCppOptions } from "./options.js";
