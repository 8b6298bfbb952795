import { describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  type ThinkSplit,
  ThinkSplitter,
  type ThinkSplitterOptions,
} from "../../src/index.js";
import { mulberry32 } from "../support/prng.js";

interface Run {
  /** What each push returned. */
  pushes: ThinkSplit[];
  reasoning: string;
  text: string;
  unterminated: boolean;
}

function run(chunks: string[], options?: ThinkSplitterOptions): Run {
  const s = new ThinkSplitter(options);
  const pushes = chunks.map((c) => s.push(c));
  const last = s.end();
  return {
    pushes,
    reasoning: pushes.map((p) => p.reasoning).join("") + last.reasoning,
    text: pushes.map((p) => p.text).join("") + last.text,
    unterminated: last.unterminated,
  };
}

const r = (reasoning: string): ThinkSplit => ({ reasoning, text: "" });
const t = (text: string): ThinkSplit => ({ reasoning: "", text });
const none: ThinkSplit = { reasoning: "", text: "" };

describe("ThinkSplitter", () => {
  it("splits a think block that opens the content from the answer, token by token", () => {
    const out = run(["<think>", "\n", "Okay", ", the user", "\n", "</think>", "\n\n", "Paris", "."]);
    expect(out.pushes).toEqual([
      none,
      none,
      r("Okay"),
      r(", the user"),
      r("\n"),
      none,
      none,
      t("Paris"),
      t("."),
    ]);
    expect(out).toMatchObject({ reasoning: "Okay, the user\n", text: "Paris.", unterminated: false });
  });

  it("handles the tags split across chunks in any way", () => {
    const cases: string[][] = [
      ["<th", "ink>", "why", "</", "think>", "ans"],
      ["<", "t", "h", "i", "n", "k", ">", "why", "<", "/", "t", "h", "i", "n", "k", ">", "ans"],
      ["<think>wh", "y</th", "ink>a", "ns"],
      ["<think>why</think>ans"],
      ["<thi", "nk>why</think", ">", "ans"],
      ["", "<think>", "", "why", "", "</think>", "", "ans", ""],
    ];
    for (const chunks of cases) {
      expect(run(chunks), JSON.stringify(chunks)).toMatchObject({ reasoning: "why", text: "ans" });
    }
    const s = new ThinkSplitter();
    expect(s.push("<think>why</")).toEqual(r("why"));
    expect(s.phase).toBe("reasoning");
    expect(s.push("think>")).toEqual(none);
    expect(s.phase).toBe("text");
  });

  it("opens reasoning only at the very start: leading whitespace is allowed and dropped", () => {
    expect(run([" \n\t", "<think>", "r</think>", "a"])).toMatchObject({ reasoning: "r", text: "a" });
    expect(run(["\n\n<think>r</think>a"])).toMatchObject({ reasoning: "r", text: "a" });
    // Not at the start: plain text, as is.
    expect(run(["Sure. ", "<think>", "x", "</think>"])).toMatchObject({
      reasoning: "",
      text: "Sure. <think>x</think>",
    });
    expect(run(["x<think>y</think>"])).toMatchObject({ reasoning: "", text: "x<think>y</think>" });
  });

  it("treats a <think> later in the answer as text", () => {
    const out = run(["<think>a</think>", "Use ", "<think>", " tags", "</think>", "."]);
    expect(out).toMatchObject({ reasoning: "a", text: "Use <think> tags</think>.", unterminated: false });
  });

  it("holds text back only while it could still be the start of an incomplete tag", () => {
    const s = new ThinkSplitter();
    expect(s.push("<th")).toEqual(none);
    expect(s.phase).toBe("start");
    expect(s.push("e")).toEqual(t("<the")); // can no longer be "<think>": released at once
    expect(s.phase).toBe("text");

    const b = new ThinkSplitter();
    expect(b.push("<b>")).toEqual(t("<b>"));
    const lt = new ThinkSplitter();
    expect(lt.push("<")).toEqual(none);
    expect(lt.push("b>bold")).toEqual(t("<b>bold"));

    // Inside the block, only a close-tag prefix at the end of the reasoning waits.
    const inner = new ThinkSplitter();
    expect(inner.push("<think>a <")).toEqual(r("a "));
    expect(inner.push("b> c </thin")).toEqual(r("<b> c "));
    expect(inner.push("g>")).toEqual(r("</thing>"));
    expect(inner.push("</think")).toEqual(none);
    expect(inner.push("ing>")).toEqual(r("</thinking>")); // not the close tag
    expect(inner.push("</think>ok")).toEqual(t("ok"));
  });

  it("drops the whitespace that opens the answer after </think>, and keeps the rest of it", () => {
    const out = run(["<think>r</think>", "\n", "\n", " ", "Answer", "\n\n", "more"]);
    expect(out.pushes.slice(1)).toEqual([none, none, none, t("Answer"), t("\n\n"), t("more")]);
    expect(out.text).toBe("Answer\n\nmore");
    expect(run(["<think>r</think>\n\nA"]).pushes).toEqual([{ reasoning: "r", text: "A" }]);
  });

  it("gives no reasoning for an empty block (Qwen3 in non-thinking mode)", () => {
    const out = run(["<think>", "\n\n", "</think>", "\n\n", "Hi"]);
    expect(out.pushes).toEqual([none, none, none, none, t("Hi")]);
    expect(out).toMatchObject({ reasoning: "", text: "Hi", unterminated: false });
  });

  it("keeps an unterminated block reasoning to the end, and says so", () => {
    expect(run(["<think>", "still ", "thinking"])).toEqual({
      pushes: [none, r("still "), r("thinking")],
      reasoning: "still thinking",
      text: "",
      unterminated: true,
    });
    // A close-tag prefix held at the end is flushed as reasoning.
    const s = new ThinkSplitter();
    expect(s.push("<think>abc</thi")).toEqual(r("abc"));
    expect(s.end()).toEqual({ reasoning: "</thi", text: "", unterminated: true });
    expect(run(["<think>"])).toMatchObject({ reasoning: "", text: "", unterminated: true });
  });

  it("ends a reasoning-only answer with empty text", () => {
    expect(run(["<think>", "x", "</think>"])).toMatchObject({
      reasoning: "x",
      text: "",
      unterminated: false,
    });
    expect(run(["<think>x</think>", "\n\n"])).toMatchObject({
      reasoning: "x",
      text: "",
      unterminated: false,
    });
  });

  it("passes a model without a think block straight through, holding only a possible <think> prefix", () => {
    const s = new ThinkSplitter();
    const first = "Paris is";
    const out = s.push(first);
    expect(out).toEqual(t("Paris is"));
    expect(out.text).toBe(first);
    expect(s.phase).toBe("text");
    for (const chunk of [" the", " capital", "\n", " <think>", "."]) {
      const p = s.push(chunk);
      expect(p.text).toBe(chunk); // as is, in the same push
      expect(p.reasoning).toBe("");
    }
    expect(s.end()).toEqual({ reasoning: "", text: "", unterminated: false });
    // Leading whitespace is the model's own text when no block follows.
    expect(run(["\n", " Hi"]).pushes).toEqual([none, t("\n Hi")]);
    // A lone prefix at the end is text.
    expect(run(["<thin"])).toMatchObject({ reasoning: "", text: "<thin", unterminated: false });
    expect(run(["  "])).toMatchObject({ reasoning: "", text: "  ", unterminated: false });
    expect(run([])).toMatchObject({ reasoning: "", text: "", unterminated: false });
  });

  it("returns the chunk itself on the fast path", () => {
    const s = new ThinkSplitter();
    s.push("<think>r</think>A");
    const chunk = ` token ${Math.random()}`;
    expect(s.push(chunk).text).toBe(chunk);
    expect(s.push("")).toEqual(none);
  });

  it("takes other tags", () => {
    const opts = { openTag: "<reasoning>", closeTag: "</reasoning>" };
    expect(run(["<reason", "ing>why</reas", "oning>\nans"], opts)).toMatchObject({
      reasoning: "why",
      text: "ans",
    });
    expect(run(["<think>x</think>"], opts)).toMatchObject({ reasoning: "", text: "<think>x</think>" });
  });

  it("opened: the content starts inside the block (the prompt ended with <think>)", () => {
    const opened = { opened: true };
    const out = run(["Okay", ", the user", "\n", "</think>", "\n\n", "Paris", "."], opened);
    expect(out.pushes).toEqual([r("Okay"), r(", the user"), r("\n"), none, none, t("Paris"), t(".")]);
    expect(out).toMatchObject({ reasoning: "Okay, the user\n", text: "Paris.", unterminated: false });
    // Leading whitespace of the reasoning is dropped; a "<" that is not the open tag is reasoning.
    expect(run(["\n", " why", "</think>", "ans"], opened)).toMatchObject({ reasoning: "why", text: "ans" });
    expect(run(["<b>why</b></think>ans"], opened)).toMatchObject({ reasoning: "<b>why</b>", text: "ans" });
    // Without `opened`, the same content is answer text.
    expect(run(["why</think>ans"])).toMatchObject({ reasoning: "", text: "why</think>ans" });
  });

  it("opened: tags split across chunks in any way are recognised", () => {
    const cases: string[][] = [
      ["why", "</", "think>", "ans"],
      ["w", "h", "y", "<", "/", "t", "h", "i", "n", "k", ">", "a", "n", "s"],
      ["wh", "y</th", "ink>a", "ns"],
      ["why</think>ans"],
      ["why</think", ">", "ans"],
      ["", "why", "", "</think>", "", "ans", ""],
      // The open tag written again first (split anyhow) is dropped.
      ["<think>why</think>ans"],
      ["<th", "ink>", "why", "</", "think>", "ans"],
      ["<", "t", "h", "i", "n", "k", ">", "w", "hy<", "/think>", "ans"],
      ["\n", "<think>", "\n", "why", "</think>", "\n\n", "ans"],
      ["<thi", "nk>why</think", ">", "ans"],
    ];
    for (const chunks of cases) {
      expect(run(chunks, { opened: true }), JSON.stringify(chunks)).toMatchObject({
        reasoning: "why",
        text: "ans",
        unterminated: false,
      });
    }
  });

  it("opened: holds text back only while a tag could be incomplete", () => {
    const s = new ThinkSplitter({ opened: true });
    expect(s.push("\n")).toEqual(none);
    expect(s.phase).toBe("start");
    expect(s.push("<th")).toEqual(none); // could still be a re-written <think>
    expect(s.push("e")).toEqual(r("<the")); // cannot: reasoning at once
    expect(s.phase).toBe("reasoning");
    expect(s.push(" x </thi")).toEqual(r(" x "));
    expect(s.push("s")).toEqual(r("</this"));
    expect(s.push("</think>\n\nA")).toEqual(t("A"));
    expect(s.phase).toBe("text");

    const lt = new ThinkSplitter({ opened: true });
    expect(lt.push("<")).toEqual(none); // <think> or </think>
    expect(lt.push("/")).toEqual(none); // </think> only: held inside the block
    expect(lt.phase).toBe("reasoning");
    expect(lt.push("think>ok")).toEqual(t("ok"));

    // A re-written open tag is dropped once, like the whitespace after it; a second one is reasoning.
    const again = new ThinkSplitter({ opened: true });
    expect(again.push("<think>")).toEqual(none);
    expect(again.push("\n")).toEqual(none);
    expect(again.push("<think>x")).toEqual(r("<think>x"));
  });

  it("opened: an empty block gives no reasoning", () => {
    expect(run(["\n</think>\n\nAnswer"], { opened: true })).toEqual({
      pushes: [t("Answer")],
      reasoning: "",
      text: "Answer",
      unterminated: false,
    });
    const out = run(["\n", "</think>", "\n\n", "Answer"], { opened: true });
    expect(out.pushes).toEqual([none, none, none, t("Answer")]);
    expect(run(["</think>Answer"], { opened: true })).toMatchObject({ reasoning: "", text: "Answer" });
  });

  it("opened: a block that never closes is reasoning to the end, and says so", () => {
    expect(run(["still ", "thinking"], { opened: true })).toEqual({
      pushes: [r("still "), r("thinking")],
      reasoning: "still thinking",
      text: "",
      unterminated: true,
    });
    // Whitespace only, nothing at all, or a lone open-tag prefix: an unterminated block.
    expect(run(["\n", "  "], { opened: true })).toEqual({
      pushes: [none, none],
      reasoning: "",
      text: "",
      unterminated: true,
    });
    expect(run([], { opened: true })).toMatchObject({ reasoning: "", text: "", unterminated: true });
    expect(run(["<think>"], { opened: true })).toMatchObject({ reasoning: "", text: "", unterminated: true });
    expect(run([" \n<thi"], { opened: true })).toMatchObject({
      reasoning: "<thi",
      text: "",
      unterminated: true,
    });
    const s = new ThinkSplitter({ opened: true });
    expect(s.push("abc</thi")).toEqual(r("abc"));
    expect(s.end()).toEqual({ reasoning: "</thi", text: "", unterminated: true });
  });

  it("opened: takes other tags; the answer after the block passes through as is", () => {
    const opts = { openTag: "<reasoning>", closeTag: "</reasoning>", opened: true };
    expect(run(["<reason", "ing>why</reas", "oning>\nans"], opts)).toMatchObject({
      reasoning: "why",
      text: "ans",
    });
    expect(run(["why</reas", "oning>\nans"], opts)).toMatchObject({ reasoning: "why", text: "ans" });
    expect(run(["<think>x</think>"], opts)).toMatchObject({
      reasoning: "<think>x</think>",
      text: "",
      unterminated: true,
    });
    const s = new ThinkSplitter({ opened: true });
    s.push("r</think>A");
    const chunk = ` token ${Math.random()}`;
    expect(s.push(chunk).text).toBe(chunk);
    expect(s.push(" <think>y</think>")).toEqual(t(" <think>y</think>"));
  });

  it("refuses empty tags and an open tag that starts with whitespace", () => {
    expect(() => new ThinkSplitter({ openTag: "" })).toThrow(InvalidArgumentError);
    expect(() => new ThinkSplitter({ openTag: " <t>" })).toThrow(InvalidArgumentError);
    expect(() => new ThinkSplitter({ closeTag: "" })).toThrow(InvalidArgumentError);
  });

  it("gives the same result however the content is cut into chunks", () => {
    const samples = [
      "<think>\nLet me think about <b>this</b> < and </ too.\n</think>\n\nThe answer is <think>42</think>.",
      "  \n<think></think>Answer",
      "No think block here, <think>but a tag</think> later.",
      "<think>unterminated reasoning </thi",
      "<thinking>not the tag</thinking>",
      "<think>x</think>",
      "<think>x</think>\n\n",
      "\n\n  ",
      "<<think>",
      "</think>Hello",
      "<think>a</think</think>b",
      "<think>\n\n</think>\n\n  Hi \n",
    ];
    const rand = mulberry32(15);
    const cases = [
      ...samples.map((sample) => ({ sample, options: {} })),
      ...[
        ...samples,
        "\n</think>\n\nAnswer",
        "Let me see </thinking> and </think>Done",
        "  \n<think>\nagain</think>ok",
        "never closes <thi",
      ].map((sample) => ({ sample, options: { opened: true } })),
    ];
    for (const { sample, options } of cases) {
      const whole = run([sample], options);
      const chars = run([...sample], options);
      expect(chars, `${sample} ${JSON.stringify(options)}`).toMatchObject({
        reasoning: whole.reasoning,
        text: whole.text,
        unterminated: whole.unterminated,
      });
      for (let trial = 0; trial < 200; trial++) {
        const chunks: string[] = [];
        let at = 0;
        while (at < sample.length) {
          const n = Math.floor(rand() * 6); // 0..5 chars, empty chunks included
          chunks.push(sample.slice(at, at + n));
          at += n;
        }
        const out = run(chunks, options);
        // Output arrives in order: what each push releases extends what came before.
        let reasoning = "";
        let text = "";
        let inOrder = true;
        for (const p of out.pushes) {
          reasoning += p.reasoning;
          text += p.text;
          inOrder &&= whole.reasoning.startsWith(reasoning) && whole.text.startsWith(text);
        }
        const same =
          out.reasoning === whole.reasoning &&
          out.text === whole.text &&
          out.unterminated === whole.unterminated;
        if (!same || !inOrder) {
          const { reasoning: wr, text: wt, unterminated: wu } = whole;
          expect({
            options,
            chunks,
            reasoning: out.reasoning,
            text: out.text,
            unterminated: out.unterminated,
            inOrder,
          }).toEqual({ options, chunks, reasoning: wr, text: wt, unterminated: wu, inOrder: true });
        }
      }
    }
  });
});
