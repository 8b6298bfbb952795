import { describe, expect, it } from "vitest";
import { ProviderError, StreamdexError } from "../../src/index.js";
import { HuggingFaceModelLoadError, ModelFileMissingError } from "../../src/providers/huggingface/index.js";
import { LlamaCppModelLoadError } from "../../src/providers/llamacpp/index.js";

describe("the two providers' model-load errors", () => {
  it("have distinct class names and error.name values, and both are provider errors", () => {
    const hf = new HuggingFaceModelLoadError("transformers.js could not load the model m", "m");
    const llama = new LlamaCppModelLoadError("llama.cpp could not load m.gguf", "m.gguf");
    expect([hf.name, llama.name]).toEqual(["HuggingFaceModelLoadError", "LlamaCppModelLoadError"]);
    for (const error of [hf, llama]) {
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toBeInstanceOf(StreamdexError);
    }
    expect(hf).not.toBeInstanceOf(LlamaCppModelLoadError);
    expect(llama).not.toBeInstanceOf(HuggingFaceModelLoadError);
    // A subclass keeps its own name and is still caught as the provider's load error.
    const missing = new ModelFileMissingError("no config.json", "m", "config.json");
    expect(missing.name).toBe("ModelFileMissingError");
    expect(missing).toBeInstanceOf(HuggingFaceModelLoadError);
  });
});
