import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestError } from "../../../src/index.js";
import { LlamaCpp, LlamaCppEmbedding } from "../../../src/providers/llamacpp/index.js";
import { ensureTinyGguf } from "../../fixtures/make-tiny-gguf.js";

let embed: LlamaCppEmbedding;

beforeAll(() => {
  embed = new LlamaCppEmbedding({ modelPath: ensureTinyGguf(), threads: 1, contextSize: 128 });
});

afterAll(() => embed.dispose());

describe("LlamaCppEmbedding on the tiny model", () => {
  it("embeds texts into unit vectors of the model's width, deterministically and in order", async () => {
    const [a, b, a2] = await embed.getTextEmbeddings([
      "the lighthouse keeper",
      "a school essay",
      "the lighthouse keeper",
    ]);
    expect(a).toHaveLength(64);
    const norm = Math.hypot(...a!);
    expect(norm).toBeCloseTo(1, 5);
    expect(Array.from(a2!)).toEqual(Array.from(a!));
    expect(Array.from(b!)).not.toEqual(Array.from(a!));
    expect(await embed.getQueryEmbedding("the lighthouse keeper")).toEqual(a);
  });

  it("a query's usage is its token count in the model's own vocabulary (not estimated)", async () => {
    const query = "the lighthouse keeper wrote an essay";
    const usage: { tokens: number; estimated?: boolean }[] = [];
    await embed.getQueryEmbedding(query, { onUsage: (u) => usage.push(u) });
    const llm = new LlamaCpp({ modelPath: ensureTinyGguf(), threads: 1, contextSize: 128 });
    try {
      const tokenizer = await llm.getTokenizer();
      expect(usage).toEqual([{ tokens: tokenizer.encode(query).length }]);
    } finally {
      await llm.dispose();
    }
  });

  it("a text longer than the context is a BadRequestError naming chunkSize", async () => {
    await expect(embed.getTextEmbedding("word ".repeat(400))).rejects.toBeInstanceOf(BadRequestError);
  });
});
