import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readGgufHeader } from "../../../src/providers/llamacpp/gguf-header.js";
import {
  ensureTinyGguf,
  ensureTinyThinkingGguf,
  makeTinyGguf,
  TINY_GGUF_PATH,
} from "../../fixtures/make-tiny-gguf.js";

describe("the tiny random GGUF fixture", () => {
  it("is small and deterministic (same seed, same bytes)", () => {
    const a = makeTinyGguf();
    expect(a.length).toBeLessThan(1_000_000);
    expect(makeTinyGguf().equals(a)).toBe(true);
    expect(makeTinyGguf({ seed: 7 }).equals(a)).toBe(false);
    expect(readFileSync(ensureTinyGguf()).equals(a)).toBe(true);
  });

  it("has a GGUF v3 llama header with a 512-token context and a chat template", () => {
    const header = readGgufHeader(ensureTinyGguf());
    expect(header).toEqual({
      version: 3,
      architecture: "llama",
      name: "streamdex-tiny-random",
      trainContextSize: 512,
      hasChatTemplate: true,
    });
    // Named by the generators' source hash: a changed generator never reuses an old model.
    expect(TINY_GGUF_PATH).toMatch(/test\/fixtures\/generated\/tiny-llama-[0-9a-f]{12}\.gguf$/);
  });

  it("reads what node-llama-cpp's readGgufFileInfo reads, on both generated GGUFs (the reference)", async () => {
    const { readGgufFileInfo } = await import("node-llama-cpp");
    for (const path of [ensureTinyGguf(), ensureTinyThinkingGguf()]) {
      const info = await readGgufFileInfo(path, { readTensorInfo: false, logWarnings: false });
      const architecture = info.metadata.general.architecture;
      const template = info.metadata.tokenizer?.chat_template;
      expect(readGgufHeader(path)).toEqual({
        version: info.version,
        architecture,
        name: info.metadata.general.name,
        trainContextSize: (info.architectureMetadata as { context_length?: number }).context_length,
        hasChatTemplate: typeof template === "string" && template.trim() !== "",
      });
    }
  });
});
