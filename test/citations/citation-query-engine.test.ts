// CitationQueryEngine: numbered sources, citation prompts, and [n] markers mapped to their sources while the
// answer streams (a citation part right after the text-delta that completes each marker), in every mode.
import { describe, expect, it } from "vitest";
import {
  type AnswerPart,
  CitationQueryEngine,
  CitationSource,
  Document,
  getCitationSynthesizer,
  MockEmbedding,
  MockLLM,
  type MockLLMOptions,
  type NodeWithScore,
  parseCitations,
  RESPONSE_MODES,
  type ResponseMode,
  TextNode,
  VectorStoreIndex,
} from "../../src/index.js";
import { FixedRetriever, nodes } from "../support/fixtures.js";

/** A citing engine over fixed nodes. */
function citing<S extends boolean>(
  llm: MockLLM,
  streaming: S,
  retrieved: NodeWithScore[],
  extra: { responseMode?: ResponseMode; citationChunkSize?: number; citationChunkOverlap?: number } = {},
) {
  const { responseMode, ...cut } = extra;
  return new CitationQueryEngine<S>({
    retriever: new FixedRetriever(retrieved),
    responseSynthesizer: getCitationSynthesizer<S>({ llm, streaming, responseMode }),
    ...cut,
  });
}

const engine = <S extends boolean>(llm: MockLLM, streaming: S, n = 3) => citing(llm, streaming, nodes(n));

async function partsOf(parts: AsyncIterable<AnswerPart>): Promise<AnswerPart[]> {
  const out: AnswerPart[] = [];
  for await (const p of parts) out.push(p);
  return out;
}

const scripted = (chunks: string[], o: MockLLMOptions = {}) =>
  new MockLLM({ response: chunks.join(""), chunking: () => chunks, ...o });

describe("citation parts while the answer streams", () => {
  it("each marker, however split, is a citation part right after the text-delta that completes it", async () => {
    const llm = scripted(["Paris", " [", "1", "]", " is big [2][", "9", "]."]);
    const res = await engine(llm, true).query("q");
    const parts = await partsOf(res.parts);
    const shape = parts.map((p) =>
      p.type === "text-delta" ? JSON.stringify(p.text) : p.type === "citation" ? `cite ${p.marker}` : p.type,
    );
    expect(shape).toEqual([
      "sources",
      '"Paris"',
      '" ["',
      '"1"',
      '"]"',
      "cite 1",
      '" is big [2]["',
      "cite 2",
      '"9"',
      '"]."',
      "cite 9",
      "finish",
    ]);
    const ids = res.sourceNodes.map((s) => s.node.id);
    expect(res.citations).toEqual([
      { marker: 1, nodeId: ids[0], start: 6, end: 9 },
      { marker: 2, nodeId: ids[1], start: 17, end: 20 },
      { marker: 9, nodeId: null, start: 20, end: 23 }, // no source 9: reported, never mapped elsewhere
    ]);
    for (const c of res.citations) expect(res.responseTxt.slice(c.start, c.end)).toBe(`[${c.marker}]`);
    expect(res.responseTxt).toBe("Paris [1] is big [2][9]."); // the text passes through unchanged
    expect((await res.getResponse()).citations).toEqual(res.citations);
  });

  it("reading responseGen (text only) still fills res.citations; the text deltas stay one per chunk", async () => {
    const llm = scripted(["A [1", "] B [1, 3] C [2-3]"]);
    const res = await engine(llm, true).query("q");
    const deltas: string[] = [];
    for await (const d of res.responseGen) deltas.push(d);
    expect(deltas).toEqual(["A [1", "] B [1, 3] C [2-3]"]);
    expect(res.citations.map((c) => c.marker)).toEqual([1, 1, 3, 2, 3]);
    expect(res.citations).toEqual(
      parseCitations(
        res.responseTxt,
        res.sourceNodes.map((s) => s.node.id),
      ),
    );
  });

  it("res.citations is current mid-stream for a text reader too (the markers completed so far)", async () => {
    const llm = scripted(["A [1]", " B [", "2", "] C [3]"]);
    const res = await engine(llm, true).query("q");
    const seen: number[][] = [];
    for await (const _ of res.responseGen) seen.push(res.citations.map((c) => c.marker));
    expect(seen).toEqual([[1], [1], [1], [1, 2, 3]]);
  });

  it("brackets that are not citations give no part", async () => {
    const llm = scripted(["See [note], `a[1]`, a[i] and [the docs](http://x) ", "then France[2]."]);
    const res = await engine(llm, true).query("q");
    const cites = (await partsOf(res.parts)).filter((p) => p.type === "citation");
    expect(cites.map((p) => p.type === "citation" && p.marker)).toEqual([2]); // France[2]: cited without a space
  });

  it("a marker at the very end is reported before finish; one cut by cancel is not, and partialText keeps it raw", async () => {
    const end = await engine(scripted(["Done [", "2]"]), true).query("q");
    const types = (await partsOf(end.parts)).map((p) => p.type);
    expect(types.slice(-2)).toEqual(["citation", "finish"]);

    const res = await engine(scripted(["Yes [", "1", "]"]), true).query("q");
    const seen: AnswerPart[] = [];
    for await (const p of res.parts) {
      seen.push(p);
      if (p.type === "text-delta" && p.text === "1") await res.cancel();
    }
    expect(seen.at(-1)).toEqual({ type: "cancelled", partialText: "Yes [1" });
    expect(res.citations).toEqual([]);
  });

  it("a marker cut by an error is not reported; the error part keeps the raw text", async () => {
    const llm = scripted(["Yes [", "1", "] more"], { failAfterChunks: 2 });
    const res = await engine(llm, true).query("q");
    const parts = await partsOf(res.parts);
    expect(parts.at(-1)).toMatchObject({ type: "error", partialText: "Yes [1" });
    expect(parts.some((p) => p.type === "citation")).toBe(false);
  });

  it("an answer with no markers has no citations; zero retrieved nodes is still a StreamingResponse, with none", async () => {
    const res = await engine(new MockLLM({ response: "plain answer" }), true).query("q");
    await res.getResponse();
    expect(res.citations).toEqual([]);
    const empty = await engine(new MockLLM({ response: "x [1]" }), true, 0).query("q");
    expect(empty.sourceNodes).toEqual([]);
    expect((await empty.getResponse()).citations).toEqual([]);
  });

  it("10,000 markers in one answer: all reported, in order", async () => {
    const chunks = Array.from({ length: 10_000 }, (_, i) => ` claim [${(i % 3) + 1}]`);
    const res = await engine(scripted(chunks), true).query("q");
    await res.getResponse();
    expect(res.citations).toHaveLength(10_000);
    expect(res.citations[9_999]).toMatchObject({ marker: 1 }); // 9,999 % 3 + 1
  });
});

describe("numbered sources and prompts", () => {
  it("sourceNodes are the numbered sources, cut from the retrieved nodes, pointing back to them", async () => {
    const long = new TextNode({
      id: "long",
      text: Array.from({ length: 40 }, (_, i) => `Sentence number ${i} of the long node.`).join(" "),
      refDocId: "doc-1",
      startCharIdx: 100,
      metadata: { file_name: "long.txt" },
    });
    const llm = new MockLLM({ response: "ok [1]" });
    const res = await citing(llm, false, [{ node: long, score: 0.9 }, ...nodes(1)], {
      citationChunkSize: 64,
      citationChunkOverlap: 0,
    }).query("q");
    const sources = res.sourceNodes.map((s) => s.node as CitationSource);
    expect(sources.length).toBeGreaterThan(3);
    sources.forEach((s, i) => {
      expect(s).toBeInstanceOf(CitationSource);
      expect(s.number).toBe(i + 1);
    });
    const fromLong = sources.filter((s) => s.originalNodeId === "long");
    expect(fromLong.length).toBe(sources.length - 1);
    for (const s of fromLong) {
      expect(s.refDocId).toBe("doc-1");
      expect(s.metadata.file_name).toBe("long.txt");
      expect(long.text.slice(s.startCharIdx! - 100, s.endCharIdx! - 100)).toBe(s.text);
    }
    expect(sources.at(-1)!.originalNodeId).toBe("n0");
    expect(res.sourceNodes[0]!.score).toBe(0.9);
    // The prompt numbers the sources and asks for [n] markers.
    const prompt = llm.calls.map((c) => c.prompt).join("\n");
    expect(prompt).toContain("Source 1:\n");
    expect(prompt).toContain(`Source ${sources.length}:\n`);
    expect(prompt).toMatch(/square brackets/);
    expect(res.citations).toEqual([{ marker: 1, nodeId: sources[0]!.id, start: 3, end: 6 }]);
  });

  it("index.asQueryEngine({ citations: true }) and CitationQueryEngine.fromIndex cite over a real index", async () => {
    const index = await VectorStoreIndex.fromDocuments(
      [
        new Document({ text: "The lighthouse keeper lives on the island." }),
        new Document({ text: "Ferries run daily." }),
      ],
      { embedModel: new MockEmbedding() },
    );
    const llm = new MockLLM({ response: "The keeper [1]." });
    const a = index.asQueryEngine({ citations: true, streaming: true, llm, similarityTopK: 2 });
    expect(a).toBeInstanceOf(CitationQueryEngine);
    const res = await a.query("Who lives on the island?");
    await res.getResponse();
    expect(res.citations[0]!.nodeId).toBe(res.sourceNodes[0]!.node.id);
    expect(res.sourceNodes[0]!.node.text).toContain("lighthouse keeper");
    const b = CitationQueryEngine.fromIndex(index, { llm, citationChunkSize: 128 });
    expect(b.citationChunkSize).toBe(128);
    expect((await b.query("Who lives on the island?")).citations).toHaveLength(1);
  });
});

describe("every response mode cites, streamed and not", () => {
  for (const mode of RESPONSE_MODES) {
    for (const streaming of [false, true]) {
      it(`${mode}, ${streaming ? "streamed" : "not streamed"}: citations are those of the final text`, async () => {
        // Each call cites its own number: a refine draft's [1] that the final text drops is not reported.
        const llm = new MockLLM({
          response: (_p, i) => `claim ${i} [${i + 1}].`,
          metadata: { contextWindow: 400, numOutput: 40 },
        });
        const out = await citing(llm, streaming, nodes(3, 30), { responseMode: mode }).query("q");
        const res = "getResponse" in out ? await out.getResponse() : out;
        const ids = res.sourceNodes.map((s) => s.node.id);
        expect(res.citations).toEqual(parseCitations(res.response, ids, { citeAfterWord: true }));
        if (mode === "no_text" || mode === "context_only") {
          expect(llm.calls).toHaveLength(0);
          expect(res.citations).toEqual([]);
          return;
        }
        const last = llm.calls.length - 1;
        if (mode === "accumulate" || mode === "compact_accumulate") {
          expect(res.citations.length).toBe(llm.calls.length);
        } else {
          expect(res.citations.map((c) => c.marker)).toEqual([last + 1]);
        }
        if (mode !== "generation") expect(llm.calls[0]!.prompt).toContain("Source 1:");
      });
    }
  }
});

describe("chat: condense_question cites through its query engine", () => {
  it("createChatEngine({ chatMode: 'condense_question', citations: true }) answers with citations; other modes refuse", async () => {
    const { createChatEngine } = await import("../../src/engines/chat/create-chat-engine.js");
    const { InvalidArgumentError } = await import("../../src/errors/index.js");
    const llm = scripted(["Yes", " [", "2", "]."]);
    const chat = createChatEngine({
      chatMode: "condense_question",
      citations: true,
      retriever: new FixedRetriever(nodes(2)),
      llm,
      streaming: true,
    });
    const res = await chat.chat("q");
    const parts = await partsOf(res.parts);
    expect(parts.filter((p) => p.type === "citation")).toEqual([
      { type: "citation", marker: 2, nodeId: res.sourceNodes[1]!.node.id, start: 4, end: 7 },
    ]);
    expect(res.sourceNodes[0]!.node).toBeInstanceOf(CitationSource);
    expect(llm.calls[0]!.prompt).toContain("Source 1:");
    expect(() =>
      createChatEngine({ chatMode: "context", citations: true, retriever: new FixedRetriever([]), llm }),
    ).toThrow(InvalidArgumentError);
  });
});
