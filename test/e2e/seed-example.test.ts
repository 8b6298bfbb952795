import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as streamdex from "../../src/index.js";
import { isTokenizerLoaded } from "../../src/utils/tokenizer.js";

const {
  ExtractiveLLM,
  MockEmbedding,
  RetrieverQueryEngine,
  SimpleDirectoryReader,
  VectorStoreIndex,
  getResponseSynthesizer,
} = streamdex;
const dataDir = fileURLToPath(new URL("../../examples/data", import.meta.url));

describe("the seed example over examples/data, offline", () => {
  it("importing streamdex loads no tokenizer data", () => {
    expect(isTokenizerLoaded()).toBe(false);
  });

  it("high-level and low-level APIs both stream an extractive answer with sources", async () => {
    const documents = await new SimpleDirectoryReader().loadData(dataDir);
    expect(documents.map((d) => d.metadata.file_name).sort()).toEqual([
      "company-faq.html",
      "lighthouse.txt",
      "memoir.md",
      "recipes.md",
      "timeline.json",
    ]);
    const index = await VectorStoreIndex.fromDocuments(documents, {
      embedModel: new MockEmbedding({ dimensions: 256 }),
      chunkSize: 256,
      chunkOverlap: 32,
    });
    const llm = new ExtractiveLLM();
    const queryEngine = index.asQueryEngine({ streaming: true, similarityTopK: 1, llm });
    const res = await queryEngine.query("What did the author do growing up?");
    expect(res.sourceNodes[0]!.node.metadata.file_name).toBe("memoir.md");
    const deltas: string[] = [];
    for await (const text of res.responseGen) deltas.push(text);
    expect(deltas.length).toBeGreaterThan(10);
    expect(res.responseTxt).toMatch(/growing up/i);
    // It quotes: every sentence of the answer is in the retrieved chunk.
    for (const sentence of res.responseTxt.split(/(?<=\.)\s+/)) {
      expect(res.sourceNodes[0]!.node.text.replace(/\s+/g, " ")).toContain(sentence);
    }

    const synth = getResponseSynthesizer({ streaming: true, responseMode: "compact", llm });
    const engine2 = new RetrieverQueryEngine({
      retriever: index.asRetriever({ similarityTopK: 2 }),
      responseSynthesizer: synth,
    });
    const second = await engine2.query("Where is the company's office?");
    const out: string[] = [];
    await second.printResponseStream({
      write: (s: string) => out.push(s) > 0,
      once: () => undefined,
    } as unknown as NodeJS.WritableStream);
    expect(out.join("")).toMatch(/harbour|office|loft/i);
  });

  it("the extractive LLM stops generating when its consumer stops", async () => {
    const llm = new ExtractiveLLM({ chunkDelayMs: 60_000 });
    const ac = new AbortController();
    const prompt =
      "=====\nThe radio worked. The boat leaked.\n=====\nQuestion: did the radio work?\nAnswer: ";
    const it = (await llm.streamComplete(prompt, { signal: ac.signal }))[Symbol.asyncIterator]();
    expect((await it.next()).value).toMatchObject({ type: "text-delta", text: "The" });
    const pending = it.next();
    ac.abort();
    await expect(pending).rejects.toBeInstanceOf(streamdex.AbortError);
  });
});
