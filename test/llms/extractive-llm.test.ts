import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MockEmbedding } from "../../src/embeddings/mock-embedding.js";
import { RetrieverQueryEngine } from "../../src/engines/retriever-query-engine.js";
import { VectorStoreIndex } from "../../src/indices/vector-store-index.js";
import { SimpleDirectoryReader } from "../../src/ingestion/readers/simple-directory-reader.js";
import { SentenceSplitter } from "../../src/ingestion/splitters/sentence-splitter.js";
import { ExtractiveLLM } from "../../src/llms/extractive-llm.js";
import { DEFAULT_QA_PROMPT } from "../../src/prompts/default-prompts.js";
import { BM25Retriever } from "../../src/retrievers/bm25-retriever.js";
import { getResponseSynthesizer } from "../../src/synthesizers/get-response-synthesizer.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
const QUESTION_LINE = "Where is the office?";
const OFFICE_SENTENCE =
  "Since 2015 our office has been in Port Sorel, in a converted net loft above the harbour.";

/** The prompt a query engine sends, with `context` as the retrieved excerpts. */
const prompt = (context: string, query: string) => DEFAULT_QA_PROMPT.format({ context, query });

describe("ExtractiveLLM: sentences that restate the question", () => {
  it("does not quote a FAQ question line that restates the query; the answer below it is quoted", () => {
    const context = [
      "When was the company founded?",
      "The company was founded in 2008 by three friends.",
      QUESTION_LINE,
      OFFICE_SENTENCE,
      "Visitors are welcome, but please call ahead.",
    ].join("\n");
    const answer = new ExtractiveLLM().answer(prompt(context, "Where is the office?"));
    expect(answer).not.toContain(QUESTION_LINE);
    expect(answer).toContain(OFFICE_SENTENCE);
  });

  it("counts a question as a restatement when at least half of its content words are in the query", () => {
    const llm = new ExtractiveLLM({ maxSentences: 5 });
    const context = [
      "Where is the harbour office?", // harbour, office: 1 of 2 in the query -> a restatement
      "Is the office open on Sundays?", // office, open, sundays: 1 of 3 -> content
      "The office is in Port Sorel.",
    ].join("\n");
    const answer = llm.answer(prompt(context, "Where is the office?"));
    expect(answer).toBe("Is the office open on Sundays? The office is in Port Sorel.");
  });

  it("still quotes a question that carries the answer rather than restating the query", () => {
    const context = [
      "Fixing the router.",
      "Have you tried restarting the router?", // tried, restarting, router: 1 of 3 in the query
      "Most outages end there.",
    ].join("\n");
    const answer = new ExtractiveLLM().answer(prompt(context, "How do I fix my broken router?"));
    expect(answer).toContain("Have you tried restarting the router?");
  });

  it("a statement that repeats the query's words is still quoted (only questions are filtered)", () => {
    const context = "The office is where the office is.\nBoats are repaired on the slipway.";
    const answer = new ExtractiveLLM().answer(prompt(context, "Where is the office?"));
    expect(answer).toBe("The office is where the office is.");
  });

  it("a context of nothing but restated questions has no answer", () => {
    const answer = new ExtractiveLLM().answer(
      prompt("Where is the office?\nWhere's the office?", QUESTION_LINE),
    );
    expect(answer).toBe("The documents do not contain an answer to that.");
  });
});

describe("ExtractiveLLM over examples/data, through the query engine", () => {
  async function documents() {
    return new SimpleDirectoryReader().loadData(DATA);
  }

  it("BM25 retrieval (the command's default): the answer skips the FAQ's question line", async () => {
    const nodes = new SentenceSplitter({ chunkSize: 256, chunkOverlap: 32 }).getNodesFromDocuments(
      await documents(),
    );
    const engine = new RetrieverQueryEngine({
      retriever: new BM25Retriever(nodes, { similarityTopK: 2 }),
      responseSynthesizer: getResponseSynthesizer({ streaming: true, llm: new ExtractiveLLM() }),
    });
    const res = await engine.query("Where is the office?");
    // The FAQ chunk that holds both the question line and its answer is retrieved...
    const faq = res.sourceNodes.find((n) => n.node.metadata.file_name === "company-faq.html");
    expect(faq?.node.text).toContain(QUESTION_LINE);
    expect(faq?.node.text).toContain(OFFICE_SENTENCE);
    // ...and the answer quotes the answer, not the question.
    const { response } = await res.getResponse();
    expect(response).not.toContain(QUESTION_LINE);
    expect(response).toContain(OFFICE_SENTENCE);
  });

  it("VectorStoreIndex: the answer skips the FAQ's question line", async () => {
    const index = await VectorStoreIndex.fromDocuments(await documents(), {
      embedModel: new MockEmbedding({ dimensions: 256 }),
      chunkSize: 256,
      chunkOverlap: 32,
    });
    const engine = index.asQueryEngine({ streaming: true, similarityTopK: 2, llm: new ExtractiveLLM() });
    const res = await engine.query("Where is the office?");
    expect(res.sourceNodes.some((n) => n.node.text.includes(QUESTION_LINE))).toBe(true);
    const { response } = await res.getResponse();
    expect(response).not.toContain(QUESTION_LINE);
    expect(response).toContain(OFFICE_SENTENCE);
  });
});
