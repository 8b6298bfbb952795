import { describe, expect, it } from "vitest";
import { MAX_GROUP_CONTENT } from "../../src/citations/citation-parser.js";
import {
  type Citation,
  CitationParser,
  type CitationParserOptions,
  parseCitations,
  type SourceLookup,
} from "../../src/index.js";

const IDS = ["a", "b", "c", "d", "e"];

/** The citations of `text` pushed in the given chunks (concatenating to `text`). */
function streamed(
  chunks: string[],
  sources: SourceLookup = IDS,
  options?: CitationParserOptions,
): Citation[] {
  const parser = new CitationParser(sources, options);
  const out: Citation[] = [];
  for (const chunk of chunks) out.push(...parser.push(chunk));
  out.push(...parser.end());
  return out;
}

/** [marker, text.slice(start, end)] of each citation: what the offsets point at. */
function marked(text: string, options?: CitationParserOptions): [number, string][] {
  return parseCitations(text, IDS, options).map((c) => [c.marker, text.slice(c.start, c.end)]);
}

function markers(text: string, options?: CitationParserOptions): number[] {
  return parseCitations(text, IDS, options).map((c) => c.marker);
}

describe("parseCitations: formats", () => {
  it("finds [n] with the node id of source n and the offsets of the whole bracket", () => {
    const text = "Paris is the capital [1]. It is old [3].";
    expect(parseCitations(text, IDS)).toEqual([
      { marker: 1, nodeId: "a", start: 21, end: 24 },
      { marker: 3, nodeId: "c", start: 36, end: 39 },
    ]);
    expect(marked(text)).toEqual([
      [1, "[1]"],
      [3, "[3]"],
    ]);
  });

  it("reads [1][2] as two groups", () => {
    expect(marked("Yes [1][2].")).toEqual([
      [1, "[1]"],
      [2, "[2]"],
    ]);
    expect(marked("Yes [1][2][4]")).toEqual([
      [1, "[1]"],
      [2, "[2]"],
      [4, "[4]"],
    ]);
  });

  it("reads lists, with or without spaces; each number carries the whole group's offsets", () => {
    expect(marked("x [1, 3] y [2,4] z [ 1 ,  5 ]")).toEqual([
      [1, "[1, 3]"],
      [3, "[1, 3]"],
      [2, "[2,4]"],
      [4, "[2,4]"],
      [1, "[ 1 ,  5 ]"],
      [5, "[ 1 ,  5 ]"],
    ]);
  });

  it("expands ranges written with -, – or —", () => {
    expect(marked("a [1-3] b [2–4] c [4 — 5]")).toEqual([
      [1, "[1-3]"],
      [2, "[1-3]"],
      [3, "[1-3]"],
      [2, "[2–4]"],
      [3, "[2–4]"],
      [4, "[2–4]"],
      [4, "[4 — 5]"],
      [5, "[4 — 5]"],
    ]);
    expect(markers("[1, 3-4, 2]")).toEqual([1, 3, 4, 2]);
    expect(markers("[2-2]")).toEqual([2]);
  });

  it("reports a number repeated in one group once", () => {
    expect(markers("[1, 1, 2]")).toEqual([1, 2]);
    expect(markers("[1-3, 2]")).toEqual([1, 2, 3]);
    expect(markers("[1] [1]")).toEqual([1, 1]);
  });

  it("caps a range's length: a longer range is not a citation, and costs nothing", () => {
    expect(markers("[1-999999]")).toEqual([]);
    expect(markers("[1-100]")).toHaveLength(100);
    expect(markers("[1-101]")).toEqual([]);
    expect(markers("[1-6]", { maxRange: 5 })).toEqual([]);
    expect(markers("[1-5]", { maxRange: 5 })).toEqual([1, 2, 3, 4, 5]);
    expect(markers("[3-1]")).toEqual([]);
  });

  it("gives nodeId null to numbers with no source, still reporting them", () => {
    expect(parseCitations("[0] [5] [6] [42]", IDS).map((c) => [c.marker, c.nodeId])).toEqual([
      [0, null],
      [5, "e"],
      [6, null],
      [42, null],
    ]);
    expect(parseCitations("[0-2]", IDS).map((c) => c.nodeId)).toEqual([null, "a", "b"]);
  });

  it("takes a lookup function, called for numbers >= 1 only", () => {
    const asked: number[] = [];
    const lookup = (n: number) => {
      asked.push(n);
      return n === 2 ? "two" : n === 3 ? undefined : null;
    };
    expect(parseCitations("[0] [1] [2] [3]", lookup).map((c) => c.nodeId)).toEqual([null, null, "two", null]);
    expect(asked).toEqual([1, 2, 3]);
  });

  it("accepts leading zeros and up to 6 digits; more digits are not a citation", () => {
    expect(markers("[01] [999999]")).toEqual([1, 999999]);
    expect(parseCitations("[999999]", IDS)[0]!.nodeId).toBeNull();
    expect(markers("[1234567] [00000001]")).toEqual([]);
  });

  it("ignores groups that are not numeric lists", () => {
    for (const text of [
      "[]",
      "[ ]",
      "[note]",
      "[1a]",
      "[a1]",
      "[-1]",
      "[−1]",
      "[^1]",
      "[1,]",
      "[,1]",
      "[1 2]",
      "[1-]",
      "[1--2]",
      "[1.5]",
      "[1;2]",
      "[\n1]",
      "[1\n]",
      "[Source 1]",
    ]) {
      expect(markers(`Text ${text} end`), text).toEqual([]);
    }
  });

  it("drops bracket content longer than MAX_GROUP_CONTENT", () => {
    const fits = `[${"1,".repeat(Math.floor((MAX_GROUP_CONTENT - 1) / 2))}1]`;
    expect(fits.length - 2).toBeLessThanOrEqual(MAX_GROUP_CONTENT);
    expect(markers(fits)).toEqual([1]);
    expect(markers(`[${" ".repeat(MAX_GROUP_CONTENT - 1)}1]`)).toEqual([1]);
    expect(markers(`[${" ".repeat(MAX_GROUP_CONTENT)}1]`)).toEqual([]);
    expect(markers(`[${"1,".repeat(20)}1] [2]`)).toEqual([2]);
  });

  it("finds nothing in text without markers, and in the empty text", () => {
    expect(parseCitations("Just an answer, with (parentheses) and ] stray [ brackets.", IDS)).toEqual([]);
    expect(parseCitations("", IDS)).toEqual([]);
  });

  it("does not report a group still open when the text ends", () => {
    expect(markers("Paris [1")).toEqual([]);
    expect(markers("Paris [1] and [2, 3")).toEqual([1]);
    expect(markers("Paris [")).toEqual([]);
  });
});

describe("parseCitations: what is not a citation", () => {
  it("ignores brackets directly after an identifier, ) or a non-citation ]", () => {
    expect(markers("a[1] x[0] arr2[1] my_list[2] $[1] f()[1] a[i][1] m[1][2]")).toEqual([]);
    expect(markers("see [text][1]")).toEqual([]);
  });

  it("accepts brackets after spaces, punctuation, a citation, and non-ASCII letters", () => {
    expect(markers('(see [1]) end.[2] "[3]" **[4]** ([5]) 公司[1] şirketı[2] é[3]')).toEqual([
      1, 2, 3, 4, 5, 1, 2, 3,
    ]);
    expect(markers("[1]\n[2]")).toEqual([1, 2]);
  });

  it("citeAfterWord lets a word be directly followed by a citation (prose like France[1])", () => {
    expect(markers("France[1] x[0]", { citeAfterWord: true })).toEqual([1, 0]);
    expect(markers("f()[1] a[i][2]", { citeAfterWord: true })).toEqual([]);
  });

  it("takes the innermost group of nested brackets", () => {
    expect(marked("[[1]]")).toEqual([[1, "[1]"]]);
    expect(marked("[see [2]]")).toEqual([[2, "[2]"]]);
    expect(marked("[[1], [2]]")).toEqual([
      [1, "[1]"],
      [2, "[2]"],
    ]);
  });

  it("ignores markers in inline code spans, of any backtick count", () => {
    expect(markers("Use `a[1]` or `[2]` here [3].")).toEqual([3]);
    expect(markers("Use ``x ` [1] `` here [2].")).toEqual([2]);
    expect(markers("`[1]`[2]")).toEqual([2]);
    expect(markers("`[1` [2]")).toEqual([2]);
    expect(markers("`[1] [2]")).toEqual([]);
  });

  it("ends an unclosed inline code span at the end of its line", () => {
    expect(markers("a stray ` backtick [1]\nthen [2]")).toEqual([2]);
  });

  it("ignores markers in fenced code blocks, up to a closing fence at least as long", () => {
    const text =
      "Before [1].\n```ts\nconst x = a [2];\n`y` [3]\n``\n[4]\n```\nAfter [5].\n````\n[1]\n```\n[2]\n````\n[3]";
    expect(markers(text)).toEqual([1, 5, 3]);
  });

  it("never reports markdown links [text](url); reports [1](url) (decided at ])", () => {
    expect(markers("See [the docs](https://x.dev/a[1]) and [here](#1).")).toEqual([]);
    expect(marked("See [1](https://x.dev).")).toEqual([[1, "[1]"]]);
  });
});

/** Texts whose every split must give the same citations as the whole text. */
const TEXTS = [
  "Paris [1]. Rome [2, 3] and [1-3][4].",
  "x[0] a[1] [[2]] `[3]` [4–5] [note] [1a] [01]",
  "```js\nconst a = [1];\n```\n[2] [ 3 , 4 ] [1-999999] [5",
  "Use ``[1]`` then `a` [2][3] f()[4] 公司[5]",
  "[1][2][3][4][5][6]",
  "[see [1]] [2](url) [text](url) [ ] []",
];

describe("CitationParser: however the text is split", () => {
  it("the oracle finds something in every text", () => {
    for (const text of TEXTS) expect(parseCitations(text, IDS).length, text).toBeGreaterThan(0);
  });

  it("gives the same citations for every cut into 2 pieces", () => {
    for (const text of TEXTS) {
      const want = parseCitations(text, IDS);
      for (let i = 0; i <= text.length; i++) {
        expect(streamed([text.slice(0, i), text.slice(i)]), `${text} @${i}`).toEqual(want);
      }
    }
  });

  it("gives the same citations for every cut into 3 pieces", () => {
    for (const text of TEXTS) {
      const want = parseCitations(text, IDS);
      for (let i = 0; i <= text.length; i++) {
        for (let j = i; j <= text.length; j++) {
          const got = streamed([text.slice(0, i), text.slice(i, j), text.slice(j)]);
          expect(got, `${text} @${i},${j}`).toEqual(want);
        }
      }
    }
  });

  it("gives the same citations one character per chunk", () => {
    for (const text of TEXTS) expect(streamed([...text]), text).toEqual(parseCitations(text, IDS));
  });

  it("gives the same citations for random texts cut at random (seeded)", () => {
    let seed = 16;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return (seed >>> 8) % n;
    };
    const alphabet = [
      "[",
      "]",
      "1",
      "2",
      " ",
      ",",
      "-",
      "–",
      "`",
      "```",
      "\n",
      "a",
      ")",
      "[1]",
      "[2, 3]",
      "[1-2]",
      "][",
    ];
    let withCitations = 0;
    for (let t = 0; t < 500; t++) {
      let text = "";
      for (let k = rand(60); k > 0; k--) text += alphabet[rand(alphabet.length)];
      const chunks: string[] = [];
      for (let i = 0; i < text.length; ) {
        const len = 1 + rand(5);
        chunks.push(text.slice(i, i + len));
        i += len;
      }
      const want = parseCitations(text, IDS);
      if (want.length > 0) withCitations++;
      expect(streamed(chunks), JSON.stringify(chunks)).toEqual(want);
    }
    expect(withCitations).toBeGreaterThan(200);
  });

  it("reports each citation in the chunk that holds its ]", () => {
    const parser = new CitationParser(IDS);
    expect(parser.push("Paris [")).toEqual([]);
    expect(parser.push("1")).toEqual([]);
    expect(parser.pendingLength).toBe(1);
    expect(parser.push("]")).toEqual([{ marker: 1, nodeId: "a", start: 6, end: 9 }]);
    expect(parser.push("[2, ")).toEqual([]);
    expect(parser.push("3] and [4")).toEqual([
      { marker: 2, nodeId: "b", start: 9, end: 15 },
      { marker: 3, nodeId: "c", start: 9, end: 15 },
    ]);
    expect(parser.offset).toBe(22);
    expect(parser.end()).toEqual([]);
    expect(parser.pendingLength).toBe(0);
    expect(() => parser.push("]")).toThrow(/after end/);
  });

  it("ignores empty chunks", () => {
    expect(streamed(["", "[", "", "1", "", "]", ""])).toEqual([{ marker: 1, nodeId: "a", start: 0, end: 3 }]);
  });
});

describe("CitationParser: bounded", () => {
  it("handles 10,000 markers with exact offsets and a bounded pending state", () => {
    const parts: string[] = [];
    for (let i = 0; i < 10_000; i++) parts.push(" word word", " [", String((i % 7) + 1), "]");
    const text = parts.join("");
    const parser = new CitationParser(IDS);
    const got: Citation[] = [];
    let maxPending = 0;
    for (const p of parts) {
      got.push(...parser.push(p));
      maxPending = Math.max(maxPending, parser.pendingLength);
    }
    expect(got).toHaveLength(10_000);
    expect(maxPending).toBe(1);
    for (let i = 0; i < got.length; i++) {
      const c = got[i]!;
      expect(c.marker).toBe((i % 7) + 1);
      expect(c.nodeId).toBe(IDS[c.marker - 1] ?? null);
      expect(text.slice(c.start, c.end)).toBe(`[${c.marker}]`);
    }
    expect(parser.offset).toBe(text.length);
  });

  it("holds at most MAX_GROUP_CONTENT characters inside a bracket that never closes", () => {
    const parser = new CitationParser(IDS);
    parser.push("[");
    let maxPending = 0;
    for (let i = 0; i < 10_000; i++) {
      parser.push("1, ");
      maxPending = Math.max(maxPending, parser.pendingLength);
    }
    expect(maxPending).toBeLessThanOrEqual(MAX_GROUP_CONTENT);
    expect(parser.push("]")).toEqual([]);
    expect(parser.push(" [2]")).toHaveLength(1);
  });

  it("handles a huge answer with no markers", () => {
    const parser = new CitationParser(IDS);
    const chunk = "lorem ipsum dolor sit amet ".repeat(40);
    for (let i = 0; i < 2_000; i++) expect(parser.push(chunk)).toHaveLength(0);
    expect(parser.offset).toBe(chunk.length * 2_000);
    expect(parser.pendingLength).toBe(0);
  });
});
