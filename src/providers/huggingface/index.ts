/**
 * `streamdex/huggingface`: Hugging Face models. In-process transformers.js models need the optional peer
 * dependency `@huggingface/transformers` (`npm install @huggingface/transformers`); nothing is imported from it
 * until a model is first used.
 *
 * @example
 * ```ts
 * import { Settings } from "streamdex";
 * import { HuggingFaceEmbedding, HuggingFaceLLM } from "streamdex/huggingface";
 * Settings.llm = new HuggingFaceLLM({ model: "./models/Qwen2.5-0.5B-Instruct", dtype: "q4" });
 * Settings.embedModel = new HuggingFaceEmbedding({ model: "./models/all-MiniLM-L6-v2" });
 * ```
 * @module
 */

export type { ThinkTagsOption } from "../../llms/think-tokens.js";
export {
  HuggingFaceModelLoadError,
  MissingDependencyError,
  ModelFileMissingError,
  ModelNotDownloadedError,
  UnsupportedArchitectureError,
} from "./errors.js";
export type { HuggingFaceEmbeddingOptions } from "./huggingface-embedding.js";
export { HuggingFaceEmbedding } from "./huggingface-embedding.js";
export { HuggingFaceLLM } from "./huggingface-llm.js";
export { HuggingFaceInferenceAPI } from "./inference-api.js";
export type { HuggingFaceInferenceAPIOptions } from "./inference-api-options.js";
export type { HuggingFaceDtype } from "./model-source.js";
export type { HuggingFaceLLMOptions, HuggingFaceModelOptions } from "./options.js";
