/**
 * Citation quality, measured over examples/data (DESIGN §6; fixture: citation-quality.fixture.ts, 8 questions
 * with the file and sentence that answer each).
 *
 * Setup: examples/data indexed as the demo does offline (SimpleDirectoryReader, 256-token chunks with 32 of
 * overlap, the hashed bag-of-words MockEmbedding), then `CitationQueryEngine.fromIndex(index, { streaming: true,
 * similarityTopK: 3 })`, which cuts the retrieved chunks into numbered sources and parses the streamed `[n]`
 * markers. Each question is answered (a) by the offline ExtractiveLLM, which quotes sentences and cites the
 * source each came from, and (b) by a scripted MockLLM that paraphrases the fixture's supporting sentence and
 * cites the numbered source of the prompt that holds it, except once, on purpose, where it cites the first
 * source from another file (the honey-cake question): the metric must catch it. The scripted answers stream in
 * 3-character chunks, so their markers arrive split.
 *
 * Method (citation precision): for every citation of `res.citations` (a group `[1, 2]` counts once per number),
 * the claim it backs is the last sentence of the answer text between the previous marker group and this one
 * (consecutive groups, `[1][2]`, back the same claim). The citation is correct when it maps to a source
 * (`nodeId` not null) and at least 60% of the claim's distinct content words (`contentWords` of
 * src/utils/text.ts: lower-cased letters/digits, stopwords and one-letter words dropped) occur among the content
 * words of that source's text. Precision = correct citations / all citations. A verbatim quote scores 1.0 on its
 * own source; a fair paraphrase keeps most of its words; a claim cited to an unrelated source shares few.
 * Also reported: support recall, the share of questions whose fixture sentence is backed by a correct citation
 * of a source from the fixture's file (judged the same way, on the fixture sentence).
 */
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type Citation,
  CitationQueryEngine,
  ExtractiveLLM,
  type LLM,
  MockEmbedding,
  MockLLM,
  type NodeWithScore,
  SimpleDirectoryReader,
  TextNode,
  VectorStoreIndex,
} from "../../src/index.js";
import { contentWords } from "../../src/utils/text.js";
import { QUALITY_CASES, type QualityCase } from "./citation-quality.fixture.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
/** Share of a claim's content words that must occur in the cited source. */
const MIN_OVERLAP = 0.6;

/** One judged citation. */
interface Judged {
  question: string;
  marker: number;
  claim: string;
  overlap: number;
  correct: boolean;
}

/** Share of `claim`'s distinct content words found among `source`'s content words. */
function overlap(claim: string, source: string): number {
  const words = new Set(contentWords(claim));
  if (words.size === 0) return 0;
  const have = new Set(contentWords(source));
  let hits = 0;
  for (const w of words) if (have.has(w)) hits++;
  return hits / words.size;
}

/** The claim each citation backs: the last sentence between the previous marker group and its own. */
function claims(text: string, citations: readonly Citation[]): string[] {
  let prevEnd = 0;
  let prevStart = -1;
  let claim = "";
  return citations.map((c) => {
    if (c.start !== prevStart) {
      const sentences = text
        .slice(prevEnd, c.start)
        .split(/(?<=[.!?])\s+/)
        .map((s) => s.trim())
        .filter((s) => contentWords(s).length > 0);
      claim = sentences.at(-1) ?? claim;
      prevStart = c.start;
      prevEnd = c.end;
    }
    return claim;
  });
}

/** Judges every citation of one answer against the sources it maps to. */
function judge(
  question: string,
  text: string,
  citations: readonly Citation[],
  sources: NodeWithScore[],
): Judged[] {
  const byId = new Map(sources.map((s) => [s.node.id, s.node.text]));
  const backed = claims(text, citations);
  return citations.map((c, k) => {
    const source = c.nodeId === null ? undefined : byId.get(c.nodeId);
    const share = source === undefined ? 0 : overlap(backed[k]!, source);
    return { question, marker: c.marker, claim: backed[k]!, overlap: share, correct: share >= MIN_OVERLAP };
  });
}

/** Whether the fixture's sentence is backed by a correct citation of a source from the fixture's file. */
function supported(q: QualityCase, citations: readonly Citation[], sources: NodeWithScore[]): boolean {
  return citations.some((c) => {
    const node = sources.find((s) => s.node.id === c.nodeId)?.node;
    return node?.metadata.file_name === q.file && overlap(q.support, node.text) >= MIN_OVERLAP;
  });
}

/** The numbered sources of a citation prompt: number, file name and text. */
function promptSources(prompt: string): { number: number; file: string; text: string }[] {
  const context = prompt.split(/^=====$/m)[1] ?? "";
  const parts = context.split(/^Source (\d+):$/m);
  const out: { number: number; file: string; text: string }[] = [];
  for (let i = 1; i + 1 < parts.length; i += 2) {
    const text = parts[i + 1]!;
    out.push({ number: Number(parts[i]), file: /^file_name: (.+)$/m.exec(text)?.[1] ?? "", text });
  }
  return out;
}

/**
 * The scripted model: the fixture's paraphrase, citing the source of the prompt that holds the fixture sentence
 * (`right`) or the first source from another file (`wrong`). Markers alternate between `claim [n].` and
 * `claim. [n]`.
 */
function scriptedLLM(): MockLLM {
  return new MockLLM({
    chunking: 3,
    response: (prompt) => {
      const question = /Question: (.+)/.exec(prompt)?.[1];
      const k = QUALITY_CASES.findIndex((c) => c.question === question);
      const q = QUALITY_CASES[k];
      if (!q) throw new Error(`no scripted answer for ${question}`);
      const sources = promptSources(prompt);
      const right = sources.find((s) => s.text.includes(q.support));
      const cited = q.cite === "right" ? right : sources.find((s) => s.file !== q.file);
      if (!cited) throw new Error(`${q.question}: no source to cite (${q.cite}) among ${sources.length}`);
      return k % 2 === 0 ? `${q.paraphrase} [${cited.number}].` : `${q.paraphrase}. [${cited.number}]`;
    },
  });
}

interface Measured {
  judged: Judged[];
  precision: number;
  recall: number;
}

let index: VectorStoreIndex;
beforeAll(async () => {
  index = await VectorStoreIndex.fromDocuments(await new SimpleDirectoryReader().loadData(DATA), {
    embedModel: new MockEmbedding({ dimensions: 256 }),
    chunkSize: 256,
    chunkOverlap: 32,
  });
});

async function measure(llm: () => LLM): Promise<Measured> {
  const judged: Judged[] = [];
  let backed = 0;
  for (const q of QUALITY_CASES) {
    const engine = CitationQueryEngine.fromIndex(index, { streaming: true, similarityTopK: 3, llm: llm() });
    const res = await engine.query(q.question);
    // The sources must hold the answer, or the question measures retrieval rather than citing.
    expect(
      res.sourceNodes.some((s) => s.node.text.includes(q.support)),
      `${q.question}: retrieved`,
    ).toBe(true);
    const { response, citations, sourceNodes } = await res.getResponse();
    judged.push(...judge(q.question, response, citations, sourceNodes));
    if (supported(q, citations, sourceNodes)) backed++;
  }
  const correct = judged.filter((j) => j.correct).length;
  return { judged, precision: correct / judged.length, recall: backed / QUALITY_CASES.length };
}

const report = (name: string, m: Measured) =>
  `citation precision, ${name}: ${m.precision.toFixed(3)} (${m.judged.filter((j) => j.correct).length}/` +
  `${m.judged.length} citations; support recall ${m.recall.toFixed(3)} over ${QUALITY_CASES.length} questions)`;

describe("citation quality over examples/data", () => {
  it("the fixture sentences are verbatim in their files", async () => {
    const docs = await new SimpleDirectoryReader().loadData(DATA);
    for (const q of QUALITY_CASES) {
      const doc = docs.find((d) => d.metadata.file_name === q.file);
      expect(doc?.text, q.file).toContain(q.support);
    }
  });

  it("the offline extractive LLM: precision >= 0.9", async () => {
    const m = await measure(() => new ExtractiveLLM());
    console.log(report("extractive LLM", m));
    expect(m.judged.length).toBeGreaterThanOrEqual(QUALITY_CASES.length);
    expect(m.precision).toBeGreaterThanOrEqual(0.9);
    expect(m.recall).toBeGreaterThanOrEqual(0.75);
  });

  it("the scripted MockLLM: the paraphrases pass, the deliberately wrong citation is caught", async () => {
    const m = await measure(scriptedLLM);
    console.log(report("scripted MockLLM (one wrong on purpose)", m));
    expect(m.judged).toHaveLength(QUALITY_CASES.length); // one marker per answer
    expect(m.precision).toBeLessThan(1);
    const wrong = m.judged.filter((j) => !j.correct);
    expect(wrong.map((j) => j.question)).toEqual(
      QUALITY_CASES.filter((q) => q.cite === "wrong").map((q) => q.question),
    );
    expect(wrong[0]!.overlap).toBeLessThan(MIN_OVERLAP);
    for (const j of m.judged.filter((x) => x.correct)) expect(j.overlap).toBeGreaterThanOrEqual(MIN_OVERLAP);
  });

  it("the judge: a claim cited to a source without it, or to no source, is not correct", () => {
    const text = "Boats float [1]. The moon is cheese [2][9].";
    const citations: Citation[] = [
      { marker: 1, nodeId: "a", start: 12, end: 15 },
      { marker: 2, nodeId: "b", start: 35, end: 38 },
      { marker: 9, nodeId: null, start: 38, end: 41 },
    ];
    expect(claims(text, citations)).toEqual(["Boats float", "The moon is cheese", "The moon is cheese"]);
    const judged = judge("q", text, citations, [
      { node: new TextNode({ id: "a", text: "Most boats float well." }) },
      { node: new TextNode({ id: "b", text: "The moon is made of rock." }) },
    ]);
    expect(judged.map((j) => j.correct)).toEqual([true, false, false]);
  });
});
