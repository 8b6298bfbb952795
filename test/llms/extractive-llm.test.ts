import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  type AnswerPart,
  BM25Retriever,
  CITATION_QA_PROMPT,
  CITATION_REFINE_PROMPT,
  CITATION_SUMMARY_PROMPT,
  CitationQueryEngine,
  type CitationSource,
  DEFAULT_QA_PROMPT,
  ExtractiveLLM,
  getResponseSynthesizer,
  type LLMStreamPart,
  MockEmbedding,
  type ResponseMode,
  RetrieverQueryEngine,
  SentenceSplitter,
  SimpleDirectoryReader,
  VectorStoreIndex,
} from "../../src/index.js";
import { sourceLabel } from "../../src/prompts/citation-prompts.js";

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

/** A citation prompt's context: numbered sources, each opened by its `Source N:` line (as the synthesizer writes). */
const numbered = (...texts: string[]) => texts.map((t, i) => `${sourceLabel(i + 1)}\n${t}`).join("\n\n");
const cited = (context: string, query: string, llm = new ExtractiveLLM()) =>
  llm.answer(CITATION_QA_PROMPT.format({ context, query }));

describe("ExtractiveLLM cites numbered sources", () => {
  it("appends the number of each quoted sentence's source, one marker per sentence", () => {
    const context = numbered(
      "file_name: faq.html\n\nThe office is in Port Sorel. Boats are repaired on the slipway.",
      "file_name: memoir.md\n\nThe office moved there in 2015.",
      "file_name: notes.txt\n\nNothing about it here. The office has a red door.",
    );
    const answer = cited(context, "Where is the office, when did it move, what door?");
    expect(answer).toBe(
      "The office is in Port Sorel. [1] The office moved there in 2015. [2] The office has a red door. [3]",
    );
  });

  it("consecutive sentences of one source each get their own marker", () => {
    const context = numbered("The office is old. The office is blue.", "Boats float.");
    expect(cited(context, "What is the office like?")).toBe("The office is old. [1] The office is blue. [1]");
  });

  it("a sentence in two overlapping sources is quoted once, citing the first", () => {
    const context = numbered("Intro. The office is in Port Sorel.", "The office is in Port Sorel. Outro.");
    expect(cited(context, "Where is the office?")).toBe("The office is in Port Sorel. [1]");
  });

  it("the source text's own bracketed numbers are not passed off as citations", () => {
    const context = numbered(
      "Boats float.",
      "The office is in Port Sorel [12]. The office door is red [3, 4].",
    );
    expect(cited(context, "Where is the office door?")).toBe(
      "The office is in Port Sorel. [2] The office door is red. [2]",
    );
  });

  it("without Source N: lines the answer has no markers (the plain QA prompt, unchanged)", () => {
    const context = "The office is in Port Sorel. Boats are repaired on the slipway.";
    expect(new ExtractiveLLM().answer(prompt(context, "Where is the office?"))).toBe(
      "The office is in Port Sorel.",
    );
    expect(cited(context, "Where is the office?")).toBe("The office is in Port Sorel.");
  });

  it("a cited summary summarised again keeps each sentence's markers with it", () => {
    const context = "The office is in Port Sorel. [1] Boats float. [2]\nThe office opened in 2015 [3].";
    const answer = new ExtractiveLLM().answer(CITATION_SUMMARY_PROMPT.format({ context, query: "office?" }));
    expect(answer).toBe("The office is in Port Sorel. [1] The office opened in 2015 [3].");
  });

  it("refining: the current answer's cited sentences compete with the new sources' (markers kept)", () => {
    const refine = CITATION_REFINE_PROMPT.format({
      query: "Where is the office and when did it open?",
      existingAnswer: "The office is in Port Sorel. [1]",
      context: `${sourceLabel(2)}\nThe office is in Port Sorel.\n\n${sourceLabel(3)}\nThe office opened in 2015.`,
    });
    expect(new ExtractiveLLM().answer(refine)).toBe(
      "The office is in Port Sorel. [1] The office opened in 2015. [3]",
    );
  });

  it("streams word by word, the markers as words of their own", async () => {
    const llm = new ExtractiveLLM();
    const context = numbered("The office is in Port Sorel.", "The office opened in 2015.");
    const stream = await llm.streamComplete(CITATION_QA_PROMPT.format({ context, query: "office?" }));
    const parts: LLMStreamPart[] = [];
    for await (const p of stream) parts.push(p);
    const texts = parts.flatMap((p) => (p.type === "text-delta" ? [p.text] : []));
    expect(texts).toEqual([
      "The",
      " office",
      " is",
      " in",
      " Port",
      " Sorel.",
      " [1]",
      " The",
      " office",
      " opened",
      " in",
      " 2015.",
      " [2]",
    ]);
  });
});

describe("ExtractiveLLM through CitationQueryEngine over examples/data", () => {
  const QUESTIONS = [
    "What did the author do growing up?",
    "Where is the office?",
    "Who kept the Karrow Point light?",
    "What did Hester do in 1903?",
    "When was Slipway Software founded?",
    "How do you make the bean stew?",
  ];

  async function index() {
    return VectorStoreIndex.fromDocuments(await new SimpleDirectoryReader().loadData(DATA), {
      embedModel: new MockEmbedding({ dimensions: 256 }),
      chunkSize: 256,
      chunkOverlap: 32,
    });
  }

  /** The sentence each citation follows: the text between the previous marker and this one. */
  function quotedSentences(text: string, citations: readonly { start: number; end: number }[]): string[] {
    let from = 0;
    return citations.map((c) => {
      const sentence = text.slice(from, c.start).trim();
      from = c.end;
      return sentence;
    });
  }

  it.each<ResponseMode>(["compact", "refine", "tree_summarize"])(
    "%s: every marker cites a retrieved source, and that source's text holds the quoted sentence",
    async (responseMode) => {
      const idx = await index();
      const engine = CitationQueryEngine.fromIndex(idx, {
        streaming: true,
        similarityTopK: 3,
        responseMode,
        llm: new ExtractiveLLM(),
      });
      for (const question of QUESTIONS) {
        const res = await engine.query(question);
        const parts: AnswerPart[] = [];
        for await (const p of res.parts) parts.push(p);
        expect(parts.filter((p) => p.type === "citation")).toHaveLength(res.citations.length);
        expect(res.citations.length, question).toBeGreaterThan(0);
        const byId = new Map(res.sourceNodes.map((s) => [s.node.id, s.node as CitationSource]));
        const sentences = quotedSentences(res.responseTxt, res.citations);
        res.citations.forEach((c, k) => {
          expect(c.nodeId, `${question}: [${c.marker}]`).not.toBeNull();
          const source = byId.get(c.nodeId!)!;
          expect(source.number).toBe(c.marker);
          expect(sentences[k]!.length).toBeGreaterThan(0);
          expect(source.text, `${question}: [${c.marker}]`).toContain(sentences[k]);
        });
      }
    },
  );
});
