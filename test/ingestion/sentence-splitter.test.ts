import { describe, expect, it } from "vitest";
import { Document, InvalidArgumentError, MetadataMode, SentenceSplitter, TextNode } from "../../src/index.js";
import { defaultTokenizer, type Tokenizer } from "../../src/utils/tokenizer.js";

const tokenizer = defaultTokenizer();
const count = (text: string): number => tokenizer.countTokens(text);

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  "the river runs past old stone walls while quiet people watch boats drift slowly toward harbor".split(" ");

/** Deterministic prose: `paragraphs` paragraphs of sentences of 5–20 words. */
function prose(seed: number, paragraphs: number, separator = "\n\n"): string {
  const rand = prng(seed);
  const out: string[] = [];
  for (let p = 0; p < paragraphs; p++) {
    const sentences: string[] = [];
    const n = 3 + Math.floor(rand() * 6);
    for (let s = 0; s < n; s++) {
      const words = Array.from(
        { length: 5 + Math.floor(rand() * 16) },
        () => WORDS[Math.floor(rand() * WORDS.length)],
      );
      const sentence = words.join(" ");
      sentences.push(`${sentence[0]!.toUpperCase()}${sentence.slice(1)}.`);
    }
    out.push(sentences.join(" "));
  }
  return out.join(separator);
}

/** Text mixing prose, unicode, numbers, code-ish lines and a very long word. */
function messy(seed: number): string {
  const rand = prng(seed);
  const pieces = [
    prose(seed, 3),
    "Ünïcödé wörds, 中文句子。另一个句子！ Emoji 😀😀 follow\ttabs\r\nand CRLF lines.",
    "x = [1, 2, 3]; y = {'a': 42}; call(x, y) // comment",
    Array.from({ length: 900 }, () => String.fromCharCode(97 + Math.floor(rand() * 26))).join(""),
    "Numbers 1234567890 and 3.14159 and 1,000,000 dollars.",
    prose(seed + 1, 2, "\n\n\n"),
  ];
  return pieces.join("\n\n");
}

describe("SentenceSplitter", () => {
  it("never makes a chunk longer than chunkSize tokens, counted by the tokenizer alone", () => {
    for (const [chunkSize, chunkOverlap] of [
      [1024, 200],
      [128, 20],
      [40, 10],
      [12, 3],
    ] as const) {
      const splitter = new SentenceSplitter({ chunkSize, chunkOverlap });
      for (const seed of [1, 2, 3]) {
        const chunks = splitter.splitText(messy(seed));
        expect(chunks.length).toBeGreaterThan(0);
        for (const chunk of chunks) {
          expect(count(chunk)).toBeLessThanOrEqual(chunkSize);
          expect(chunk).toBe(chunk.trim());
          expect(chunk).not.toBe("");
        }
      }
    }
  });

  it("fills chunks close to chunkSize", () => {
    const chunks = new SentenceSplitter({ chunkSize: 256, chunkOverlap: 0 }).splitText(prose(7, 60));
    const sizes = chunks.slice(0, -1).map(count);
    expect(Math.min(...sizes)).toBeGreaterThan(256 * 0.7);
  });

  it("repeats the end of each chunk at the start of the next when chunkOverlap > 0", () => {
    const text = prose(11, 30);
    const nodes = new SentenceSplitter({ chunkSize: 128, chunkOverlap: 40 }).getNodesFromDocuments([
      new Document({ text, id: "doc" }),
    ]);
    expect(nodes.length).toBeGreaterThan(3);
    for (let i = 1; i < nodes.length; i++) {
      const prev = nodes[i - 1]!;
      const next = nodes[i]!;
      expect(next.startCharIdx!).toBeLessThan(prev.endCharIdx!);
      const repeated = text.slice(next.startCharIdx, prev.endCharIdx);
      expect(prev.text.endsWith(repeated)).toBe(true);
      expect(next.text.startsWith(repeated)).toBe(true);
      expect(count(repeated)).toBeLessThanOrEqual(40 + 2);
    }
  });

  it("does not overlap when chunkOverlap is 0", () => {
    const text = prose(12, 20);
    const nodes = new SentenceSplitter({ chunkSize: 100, chunkOverlap: 0 }).getNodesFromDocuments([
      new Document({ text }),
    ]);
    for (let i = 1; i < nodes.length; i++)
      expect(nodes[i]!.startCharIdx!).toBeGreaterThanOrEqual(nodes[i - 1]!.endCharIdx!);
  });

  it("keeps sentences whole when they fit", () => {
    const chunks = new SentenceSplitter({ chunkSize: 60, chunkOverlap: 10 }).splitText(prose(5, 12));
    for (const chunk of chunks) {
      expect(chunk).toMatch(/^[A-Z]/);
      expect(chunk).toMatch(/\.$/);
    }
  });

  it("does not end sentences at abbreviations or initials", () => {
    const text =
      "Dr. Smith met J. R. Jones at 10 a.m. on the quay. They talked, e.g. about boats. It rained.";
    const chunkSize = count("Dr. Smith met J. R. Jones at 10 a.m. on the quay.") + 2;
    const chunks = new SentenceSplitter({ chunkSize, chunkOverlap: 0 }).splitText(text);
    expect(chunks).toEqual([
      "Dr. Smith met J. R. Jones at 10 a.m. on the quay.",
      "They talked, e.g. about boats. It rained.",
    ]);
  });

  it("cuts at the paragraph separator first", () => {
    const first = prose(21, 1);
    const second = prose(22, 1);
    const size = Math.max(count(first), count(second)) + 5;
    const chunks = new SentenceSplitter({ chunkSize: size, chunkOverlap: 0 }).splitText(
      `${first}\n\n\n${second}`,
    );
    expect(chunks).toEqual([first, second]);
    const custom = new SentenceSplitter({ chunkSize: size, chunkOverlap: 0, paragraphSeparator: "\n---\n" });
    expect(custom.splitText(`${first}\n---\n${second}`)).toEqual([first, `---\n${second}`]);
  });

  it("splits a single word longer than chunkSize by characters", () => {
    const rand = prng(3);
    const word = Array.from({ length: 2000 }, () => String.fromCharCode(97 + Math.floor(rand() * 26))).join(
      "",
    );
    const chunks = new SentenceSplitter({ chunkSize: 50, chunkOverlap: 0 }).splitText(word);
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.join("")).toBe(word);
    for (const chunk of chunks) expect(count(chunk)).toBeLessThanOrEqual(50);
    expect(count(chunks[0]!)).toBeGreaterThan(40);
  });

  it("makes chunks smaller by the tokens of the metadata the embedding or the LLM sees", () => {
    const metadata = {
      title: "A long descriptive title about rivers, boats and harbors",
      path: "/very/long/path/to/file.txt",
    };
    const text = prose(31, 20);
    const splitter = new SentenceSplitter({ chunkSize: 100, chunkOverlap: 0 });
    const doc = new Document({ text, metadata });
    const metaTokens = count(doc.getMetadataStr(MetadataMode.EMBED));
    const nodes = splitter.getNodesFromDocuments([doc]);
    for (const node of nodes) expect(count(node.text)).toBeLessThanOrEqual(100 - metaTokens);
    expect(Math.max(...nodes.map((n) => count(n.text)))).toBeGreaterThan(100 - metaTokens - 25);

    const hidden = new Document({
      text,
      metadata,
      excludedEmbedMetadataKeys: ["path"],
      excludedLlmMetadataKeys: ["path"],
    });
    const smallerMeta = count(hidden.getMetadataStr(MetadataMode.LLM));
    const roomier = splitter.getNodesFromDocuments([hidden]);
    for (const node of roomier) expect(count(node.text)).toBeLessThanOrEqual(100 - smallerMeta);
    expect(roomier.length).toBeLessThanOrEqual(nodes.length);

    const ignoring = new SentenceSplitter({ chunkSize: 100, chunkOverlap: 0, includeMetadata: false });
    expect(Math.max(...ignoring.getNodesFromDocuments([doc]).map((n) => count(n.text)))).toBeGreaterThan(
      100 - metaTokens,
    );
  });

  it("throws when the metadata alone does not fit in chunkSize, saying what to do", () => {
    const doc = new Document({ text: "Some text.", metadata: { summary: prose(1, 1) } });
    const splitter = new SentenceSplitter({ chunkSize: 10, chunkOverlap: 0 });
    expect(() => splitter.getNodesFromDocuments([doc])).toThrow(InvalidArgumentError);
    expect(() => splitter.getNodesFromDocuments([doc])).toThrow(/Raise chunkSize.*exclude metadata keys/);
  });

  it("rejects invalid options with InvalidArgumentError", () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ chunkSize: 0 }, /chunkSize.*>= 1/],
      [{ chunkSize: 10.5 }, /chunkSize.*integer/],
      [{ chunkSize: "512" }, /chunkSize.*integer/],
      [{ chunkSize: 100, chunkOverlap: -1 }, /chunkOverlap.*>= 0/],
      [
        { chunkSize: 100, chunkOverlap: 100 },
        /smaller than chunkSize.*Lower chunkOverlap or raise chunkSize/,
      ],
      [{ chunkSize: 100 }, /from Settings.chunkOverlap/],
      [{ separator: "" }, /separator/],
      [{ secondaryChunkingRegex: "(" }, /secondaryChunkingRegex/],
      [{ includeMetadata: "yes" }, /includeMetadata/],
      [{ tokenizer: {} }, /tokenizer/],
    ];
    for (const [options, message] of bad) {
      expect(() => new SentenceSplitter(options as never)).toThrow(InvalidArgumentError);
      expect(() => new SentenceSplitter(options as never)).toThrow(message);
    }
  });

  it("produces no nodes for empty or whitespace-only documents", () => {
    const splitter = new SentenceSplitter({ chunkSize: 64, chunkOverlap: 8 });
    expect(
      splitter.getNodesFromDocuments([new Document({ text: "" }), new Document({ text: " \n\t " })]),
    ).toEqual([]);
    expect(splitter.splitText("")).toEqual([]);
  });

  it("links nodes to their document and records offsets that slice back to the chunk text", () => {
    const docs = [
      new Document({ text: messy(4), id: "a.txt", metadata: { k: 1 } }),
      new Document({ text: prose(9, 25) }),
    ];
    docs[0]!.excludedLlmMetadataKeys = ["k"];
    const nodes = new SentenceSplitter({ chunkSize: 64, chunkOverlap: 16 }).getNodesFromDocuments(docs);
    const ids = new Set(nodes.map((n) => n.id));
    expect(ids.size).toBe(nodes.length);
    let lastDoc = "";
    let lastStart = -1;
    for (const node of nodes) {
      const doc = docs.find((d) => d.id === node.refDocId)!;
      expect(doc).toBeDefined();
      expect(doc.text.slice(node.startCharIdx, node.endCharIdx)).toBe(node.text);
      expect(node.metadata).toEqual(doc.metadata);
      expect(node.metadata).not.toBe(doc.metadata);
      expect(node.excludedLlmMetadataKeys).toEqual(doc.excludedLlmMetadataKeys);
      if (node.refDocId === lastDoc) expect(node.startCharIdx!).toBeGreaterThan(lastStart);
      lastDoc = node.refDocId!;
      lastStart = node.startCharIdx!;
    }
    expect(nodes[0]!.refDocId).toBe("a.txt");
    expect(nodes[nodes.length - 1]!.refDocId).toBe(docs[1]!.id);
  });

  it("keeps the source document when re-splitting a chunk, with offsets in the source text", () => {
    const source = new Document({ text: prose(13, 10), id: "src" });
    const splitter = new SentenceSplitter({ chunkSize: 200, chunkOverlap: 0 });
    const [chunk] = splitter.getNodesFromDocuments([source]);
    const smaller = new SentenceSplitter({ chunkSize: 30, chunkOverlap: 5 }).getNodesFromDocuments([chunk!]);
    expect(smaller.length).toBeGreaterThan(1);
    for (const node of smaller) {
      expect(node.refDocId).toBe("src");
      expect(source.text.slice(node.startCharIdx, node.endCharIdx)).toBe(node.text);
    }
    const loose = new TextNode({ text: "One sentence here. Another one there.", refDocId: "elsewhere" });
    const [piece] = splitter.getNodesFromDocuments([loose]);
    expect(piece!.refDocId).toBe("elsewhere");
    expect(piece!.startCharIdx).toBeUndefined();
  });

  it("measures with a custom tokenizer", () => {
    const words: Tokenizer = {
      encode: (text) =>
        text
          .split(/\s+/)
          .filter(Boolean)
          .map(() => 0),
      decode: () => "",
      countTokens: (text) => text.split(/\s+/).filter(Boolean).length,
    };
    const chunks = new SentenceSplitter({ chunkSize: 25, chunkOverlap: 5, tokenizer: words }).splitText(
      prose(17, 8),
    );
    for (const chunk of chunks) expect(words.countTokens(chunk)).toBeLessThanOrEqual(25);
    expect(Math.max(...chunks.map((c) => words.countTokens(c)))).toBeGreaterThan(15);
  });
});
