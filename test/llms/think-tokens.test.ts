import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/errors/index.js";
import {
  resolveThinkTags,
  ThinkTokens,
  templateUsesThinkTags,
  validateThinkTags,
} from "../../src/llms/think-tokens.js";
import type { LLMStreamPart } from "../../src/llms/types.js";
import { CHATML_TEMPLATE } from "../fixtures/make-tiny-gguf.js";
import { THINKING_CHATML_TEMPLATE } from "../fixtures/thinking-script.js";

/** Feeds one text per token; returns the parts of each token, then of the end, and the counts. */
function run(tokens: string[], tags = {}) {
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
