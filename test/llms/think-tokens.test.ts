import { describe, expect, it } from "vitest";
import { InvalidArgumentError, type LLMStreamPart, type ThinkSplitterOptions } from "../../src/index.js";
import {
  promptOpensThink,
  promptTailTokens,
  resolveThinkTags,
  ThinkTokens,
  templateUsesThinkTags,
  thinkTagsForPrompt,
  validateThinkTags,
} from "../../src/llms/think-tokens.js";
import { CHATML_TEMPLATE } from "../fixtures/make-tiny-gguf.js";
import { THINKING_CHATML_TEMPLATE } from "../fixtures/thinking-script.js";

/** Feeds one text per token; returns the parts of each token, then of the end, and the counts. */
function run(tokens: string[], tags: ThinkSplitterOptions = {}) {
  const think = new ThinkTokens(tags);
  const perToken = tokens.map((text, i) => {
    const parts: LLMStreamPart[] = [];
    think.token(text, { token: i }, (p) => parts.push(p));
    return parts;
  });
  const last: LLMStreamPart[] = [];
  const unterminated = think.end((p) => last.push(p));
  return { perToken, last, unterminated, reasoningTokens: think.reasoningTokens };
}

const brief = (parts: LLMStreamPart[]) =>
  parts.map((p) =>
    p.type === "reasoning-delta" ? `R:${p.text}` : p.type === "text-delta" ? p.text : p.type,
  );

describe("ThinkTokens: one generation's tokens as reasoning and text parts", () => {
  it("gives each token at most one reasoning part and one text part, in that order, with its raw token", () => {
    const { perToken, last, unterminated, reasoningTokens } = run([
      "<think>",
      "\nThe user",
      " asks.",
      "</think>\n\nParis",
      " is",
      " the capital.",
    ]);
    expect(perToken.map(brief)).toEqual([
      [],
      ["R:The user"],
      ["R: asks."],
      ["Paris"],
      [" is"],
      [" the capital."],
    ]);
    expect(perToken[3]!.map((p) => ("raw" in p ? p.raw : undefined))).toEqual([{ token: 3 }]);
    expect(last).toEqual([]);
    expect(unterminated).toBe(false);
    expect(reasoningTokens).toBe(4); // <think>, two reasoning tokens, the token that closes the block
  });

  it("a token holding the end of the reasoning, the close tag and the start of the answer gives both parts", () => {
    const { perToken, reasoningTokens } = run(["<think>", "so: Paris</think>Paris", " it is."]);
    expect(perToken.map(brief)).toEqual([[], ["R:so: Paris", "Paris"], [" it is."]]);
    expect(reasoningTokens).toBe(2);
  });

  it("tags split across tokens: held back only while incomplete; undecided tokens count once the block opens", () => {
    const { perToken, reasoningTokens } = run(["  ", "<th", "ink>", "hm", "</", "thi", "nk>", "ok"]);
    expect(perToken.map(brief)).toEqual([[], [], [], ["R:hm"], [], [], [], ["ok"]]);
    expect(reasoningTokens).toBe(7);
  });

  it("content without the block passes through token by token, and counts no reasoning", () => {
    const { perToken, reasoningTokens, unterminated } = run(["Hello", " <think>", " world"]);
    expect(perToken.map(brief)).toEqual([["Hello"], [" <think>"], [" world"]]);
    expect(reasoningTokens).toBe(0);
    expect(unterminated).toBe(false);
  });

  it("an unterminated block: reasoning to the end (a held close-tag prefix flushed as reasoning), no text", () => {
    const { perToken, last, unterminated, reasoningTokens } = run(["<think>", "still", " going </"]);
    expect(perToken.map(brief)).toEqual([[], ["R:still"], ["R: going "]]);
    expect(brief(last)).toEqual(["R:</"]);
    expect(unterminated).toBe(true);
    expect(reasoningTokens).toBe(3);
  });

  it("a lone prefix of the open tag at the end is text", () => {
    const { perToken, last, unterminated, reasoningTokens } = run(["<thi"]);
    expect(perToken.map(brief)).toEqual([[]]);
    expect(brief(last)).toEqual(["<thi"]);
    expect(unterminated).toBe(false);
    expect(reasoningTokens).toBe(0);
  });

  it("text the decoder held until the end is split without counting more tokens", () => {
    const think = new ThinkTokens({});
    const parts: LLMStreamPart[] = [];
    const push = (p: LLMStreamPart) => parts.push(p);
    think.token("<think>", undefined, push);
    think.token("", undefined, push); // e.g. half of a UTF-8 character
    think.rest("é</think>ok", push);
    think.end(push);
    expect(brief(parts)).toEqual(["R:é", "ok"]);
    expect(think.reasoningTokens).toBe(2);
  });

  it("splits at custom tags", () => {
    const { perToken } = run(["<r>", "x", "</r>", "y"], { openTag: "<r>", closeTag: "</r>" });
    expect(perToken.map(brief)).toEqual([[], ["R:x"], [], ["y"]]);
  });
});

describe("ThinkTokens opened: the prompt pre-filled the open tag", () => {
  const opened = { opened: true };

  it("every token up to and including the close tag is a reasoning token", () => {
    const { perToken, last, unterminated, reasoningTokens } = run(
      ["The user", " asks.", "</think>", "\n\n", "Paris", "."],
      opened,
    );
    expect(perToken.map(brief)).toEqual([["R:The user"], ["R: asks."], [], [], ["Paris"], ["."]]);
    expect(last).toEqual([]);
    expect(unterminated).toBe(false);
    expect(reasoningTokens).toBe(3);
  });

  it("whitespace and tag prefixes held at the start count as reasoning, as does a re-written open tag", () => {
    expect(run(["\n", "<", "/think>", "ok"], opened)).toMatchObject({ reasoningTokens: 3 });
    const again = run(["<th", "ink>", "\n", "hm", "</think>", "ok"], opened);
    expect(again.perToken.map(brief)).toEqual([[], [], [], ["R:hm"], [], ["ok"]]);
    expect(again.reasoningTokens).toBe(5);
  });

  it("an empty block: its tokens are reasoning, no reasoning text", () => {
    const { perToken, reasoningTokens } = run(["\n", "</think>", "\n\n", "Answer"], opened);
    expect(perToken.map(brief)).toEqual([[], [], [], ["Answer"]]);
    expect(reasoningTokens).toBe(2);
    // One token holding the close tag and the answer: a reasoning token (it closes the block).
    expect(run(["</think>Answer", " more"], opened)).toMatchObject({ reasoningTokens: 1 });
    expect(run(["\n</think>\n\nAnswer"], opened)).toMatchObject({ reasoningTokens: 1, unterminated: false });
  });

  it("never closed: every token is reasoning, whitespace-only ones included", () => {
    const { perToken, last, unterminated, reasoningTokens } = run(["still", " going", " </thi"], opened);
    expect(perToken.map(brief)).toEqual([["R:still"], ["R: going"], ["R: "]]);
    expect(brief(last)).toEqual(["R:</thi"]);
    expect(unterminated).toBe(true);
    expect(reasoningTokens).toBe(3);
    expect(run(["\n", " "], opened)).toMatchObject({ unterminated: true, reasoningTokens: 2, last: [] });
    const prefix = run(["<thi"], opened);
    expect(prefix).toMatchObject({ unterminated: true, reasoningTokens: 1 });
    expect(brief(prefix.last)).toEqual(["R:<thi"]);
  });

  it("a token the decoder held back is counted, its text split at the end", () => {
    const think = new ThinkTokens(opened);
    const parts: LLMStreamPart[] = [];
    const push = (p: LLMStreamPart) => parts.push(p);
    think.token("", undefined, push);
    think.rest("é</think>ok", push);
    think.end(push);
    expect(brief(parts)).toEqual(["R:é", "ok"]);
    expect(think.reasoningTokens).toBe(1);
  });
});

describe("promptOpensThink", () => {
  it("is true when the prompt ends with the open tag, trailing whitespace ignored", () => {
    expect(promptOpensThink("<|im_start|>assistant\n<think>\n")).toBe(true);
    expect(promptOpensThink("<｜Assistant｜><think>\n")).toBe(true);
    expect(promptOpensThink("x <think>")).toBe(true);
    expect(promptOpensThink("<think> \n\t\n")).toBe(true);
    expect(promptOpensThink("<think>", {})).toBe(true);
  });

  it("is false for a tag elsewhere, a closed block, or no tag", () => {
    expect(promptOpensThink("<|im_start|>assistant\n")).toBe(false);
    expect(promptOpensThink("<think>\n\n</think>\n\n")).toBe(false); // Qwen3 with enable_thinking: false
    expect(promptOpensThink("Use <think> tags. Answer:")).toBe(false);
    expect(promptOpensThink("<think>x")).toBe(false);
    expect(promptOpensThink("think>")).toBe(false);
    expect(promptOpensThink("")).toBe(false);
  });

  it("looks for the configured open tag", () => {
    const tags = { openTag: "<reasoning>", closeTag: "</reasoning>" };
    expect(promptOpensThink("assistant: <reasoning>\n", tags)).toBe(true);
    expect(promptOpensThink("assistant: <think>\n", tags)).toBe(false);
    expect(promptTailTokens()).toBeGreaterThanOrEqual(8);
    expect(promptTailTokens()).toBeLessThanOrEqual(16); // a handful of tokens
    expect(promptTailTokens({ openTag: "<|begin_of_thought|>" })).toBeGreaterThan(
      "<|begin_of_thought|>".length,
    );
  });

  it("thinkTagsForPrompt adds opened only when the prompt opens the block", () => {
    const tags = { openTag: "<r>", closeTag: "</r>" };
    expect(thinkTagsForPrompt(tags, "q <r>\n")).toEqual({ ...tags, opened: true });
    expect(thinkTagsForPrompt(tags, "q")).toBe(tags);
    expect(thinkTagsForPrompt({}, "a\n<think>\n")).toEqual({ opened: true });
  });
});

describe("the thinkTags option", () => {
  it("accepts undefined, booleans and { open, close }", () => {
    expect(validateThinkTags(undefined)).toBeUndefined();
    expect(validateThinkTags(true)).toBe(true);
    expect(validateThinkTags(false)).toBe(false);
    expect(validateThinkTags({ open: "<r>", close: "</r>" })).toEqual({ open: "<r>", close: "</r>" });
  });

  it("names the option at fault", () => {
    const fault = (value: unknown) => {
      try {
        validateThinkTags(value);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidArgumentError);
        return (error as InvalidArgumentError).argument;
      }
      return "none";
    };
    expect(fault("yes")).toBe("thinkTags");
    expect(fault(null)).toBe("thinkTags");
    expect(fault({ open: "", close: "</r>" })).toBe("thinkTags.open");
    expect(fault({ open: " <r>", close: "</r>" })).toBe("thinkTags.open");
    expect(fault({ open: "<r>" })).toBe("thinkTags.close");
  });

  it("defaults to on exactly when the chat template contains <think>", () => {
    expect(templateUsesThinkTags(THINKING_CHATML_TEMPLATE)).toBe(true);
    expect(templateUsesThinkTags(CHATML_TEMPLATE)).toBe(false);
    expect(templateUsesThinkTags(undefined)).toBe(false);
    expect(templateUsesThinkTags(null)).toBe(false);
    expect(templateUsesThinkTags([{ name: "default", template: "a <think> b" }])).toBe(true);
    expect(templateUsesThinkTags([{ name: "default", template: CHATML_TEMPLATE }])).toBe(false);
    expect(templateUsesThinkTags({ default: "x", tool_use: "<think>" })).toBe(true);
    expect(templateUsesThinkTags(new Map([["default", "<think>"]]))).toBe(true);

    expect(resolveThinkTags(undefined, THINKING_CHATML_TEMPLATE)).toEqual({});
    expect(resolveThinkTags(undefined, CHATML_TEMPLATE)).toBeUndefined();
    expect(resolveThinkTags(false, THINKING_CHATML_TEMPLATE)).toBeUndefined();
    expect(resolveThinkTags(true, CHATML_TEMPLATE)).toEqual({});
    expect(resolveThinkTags({ open: "<r>", close: "</r>" }, undefined)).toEqual({
      openTag: "<r>",
      closeTag: "</r>",
    });
  });
});
