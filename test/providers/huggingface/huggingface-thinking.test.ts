import { readFileSync } from "node:fs";
import { join } from "node:path";
import { env } from "@huggingface/transformers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AnswerPart,
  getResponseSynthesizer,
  InvalidArgumentError,
  type LLMStreamPart,
  RetrieverQueryEngine,
} from "../../../src/index.js";
import { HuggingFaceLLM, type HuggingFaceLLMOptions } from "../../../src/providers/huggingface/index.js";
import { GENERATOR_KEY } from "../../fixtures/generator-key.js";
import {
  ensureTinyGpt2,
  ensureTinyThinkingGpt2,
  makeTinyThinkingGpt2,
} from "../../fixtures/onnx/make-tiny-gpt2.js";
import { ensureModelDir, GENERATED_DIR } from "../../fixtures/onnx/model-dir.js";
import {
  ANSWER_WORDS,
  REASONING_WORDS,
  SCRIPT_ANSWER,
  SCRIPT_ANSWER_TOKENS,
  SCRIPT_REASONING,
  SCRIPT_REASONING_TOKENS,
  SCRIPT_TOKENS,
  THINK_CLOSE,
  THINK_OPEN,
  THINKING_CHATML_TEMPLATE,
} from "../../fixtures/thinking-script.js";
import { FixedRetriever, nodes, settle } from "../../support/fixtures.js";

let thinkingPath: string;
let randomPath: string;
let prefilledPath: string;
const created: HuggingFaceLLM[] = [];

/** The thinking template with a generation prompt that pre-fills the open tag, as DeepSeek-R1's does. */
const PREFILLED_TEMPLATE = THINKING_CHATML_TEMPLATE.replace(
  "{{ '<|im_start|>assistant\\n' }}",
  "{{ '<|im_start|>assistant\\n<think>' }}",
);

/** transformers.js counts the end-of-sequence token (`<|im_end|>`) that ends the script as generated. */
const GENERATED = SCRIPT_TOKENS + 1;

/** A HuggingFaceLLM on the scripted thinking GPT-2 that counts the tokens transformers.js generates. */
function thinking(options: Partial<HuggingFaceLLMOptions> = {}) {
  const counter = { tokens: 0 };
  const llm = new HuggingFaceLLM({ model: thinkingPath, onToken: () => counter.tokens++, ...options });
  created.push(llm);
  return { llm, counter };
}

function engineFor(llm: HuggingFaceLLM) {
  return new RetrieverQueryEngine({
    retriever: new FixedRetriever(nodes(2)),
    responseSynthesizer: getResponseSynthesizer({ streaming: true, llm }),
  });
}

async function partsOf(stream: AsyncIterable<LLMStreamPart>): Promise<LLMStreamPart[]> {
  const parts: LLMStreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

const textsOf = (parts: readonly (LLMStreamPart | AnswerPart)[], type: "reasoning-delta" | "text-delta") =>
  parts.flatMap((p) => (p.type === type ? [p.text] : []));

/** Waits until `read()` stops changing (the forward pass in flight finished and generation stopped). */
async function quiet(read: () => number): Promise<number> {
  let last = read();
  for (;;) {
    await settle(4);
    if (read() === last) return last;
    last = read();
  }
}

beforeAll(() => {
  env.allowRemoteModels = false;
  thinkingPath = ensureTinyThinkingGpt2();
  randomPath = ensureTinyGpt2();
  prefilledPath = ensureModelDir(join(GENERATED_DIR, `tiny-gpt2-thinking-prefilled-${GENERATOR_KEY}`), () => {
    const files = makeTinyThinkingGpt2();
    const config = files["tokenizer_config.json"] as Record<string, unknown>;
    return { ...files, "tokenizer_config.json": { ...config, chat_template: PREFILLED_TEMPLATE } };
  });
});

afterAll(async () => {
  await Promise.all(created.map((l) => l.dispose()));
});

describe("the scripted thinking GPT-2", () => {
  it("is deterministic, has its own directory, and ships a chat template that uses <think>", () => {
    const files = makeTinyThinkingGpt2();
    const onnx = Buffer.from(files["onnx/model.onnx"] as Uint8Array);
    expect(onnx.equals(Buffer.from(makeTinyThinkingGpt2()["onnx/model.onnx"] as Uint8Array))).toBe(true);
    expect(readFileSync(join(thinkingPath, "onnx/model.onnx")).equals(onnx)).toBe(true);
    expect(thinkingPath).not.toBe(randomPath);
    const config = JSON.parse(readFileSync(join(thinkingPath, "tokenizer_config.json"), "utf8"));
    expect(config.chat_template).toContain("<think>");
    const tokenizer = JSON.parse(readFileSync(join(thinkingPath, "tokenizer.json"), "utf8"));
    const think = tokenizer.added_tokens.find((t: { content: string }) => t.content === THINK_OPEN);
    expect(think.special).toBe(false);
  });

  it("under real transformers.js, writes the script whatever the prompt (thinkTags off: the raw text)", async () => {
    const { llm, counter } = thinking({ thinkTags: false });
    for (const prompt of ["What did the author do?", "x"]) {
      const res = await llm.complete(prompt);
      expect(res.text).toBe(`${THINK_OPEN} ${SCRIPT_REASONING}${THINK_CLOSE} ${SCRIPT_ANSWER}`);
      expect(res.reasoning).toBeUndefined();
      expect(res.finishReason).toBe("stop");
      expect(res.usage?.completionTokens).toBe(GENERATED);
      expect(res.usage?.reasoningTokens).toBeUndefined();
    }
    expect(counter.tokens).toBe(2 * GENERATED);
  });
});

describe("HuggingFaceLLM: a <think> block that opens the answer streams as reasoning", () => {
  it("streamComplete: one reasoning-delta per reasoning token, then one text-delta per answer token", async () => {
    const { llm } = thinking();
    const parts = await partsOf(await llm.streamComplete("What did the author do?"));
    const types = parts.map((p) => p.type);
    expect(types).toEqual([
      ...REASONING_WORDS.map(() => "reasoning-delta"),
      ...Array.from({ length: SCRIPT_ANSWER_TOKENS }, () => "text-delta"),
      "finish",
    ]);
    expect(textsOf(parts, "reasoning-delta")).toEqual(REASONING_WORDS.map((w, i) => (i === 0 ? w : ` ${w}`)));
    expect(textsOf(parts, "text-delta")).toEqual([
      ...ANSWER_WORDS.map((w, i) => (i === 0 ? w : ` ${w}`)),
      ".",
    ]);
    // Each delta is one token's text: distinct tokens, as transformers.js generated them.
    const tokens = parts.flatMap((p) => (p.type === "finish" ? [] : [(p.raw as { token: number }).token]));
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(parts.at(-1)).toEqual({
      type: "finish",
      finishReason: "stop",
      usage: {
        promptTokens: expect.any(Number),
        completionTokens: GENERATED,
        totalTokens: expect.any(Number),
        reasoningTokens: SCRIPT_REASONING_TOKENS,
      },
    });
  });

  it("a streaming query: sources, reasoning, then text; responseTxt is the answer only", async () => {
    const { llm, counter } = thinking();
    const res = await engineFor(llm).query("What did the author do growing up?");
    const parts: AnswerPart[] = [];
    for await (const part of res.parts) parts.push(part);
    const types = parts.map((p) => p.type);
    expect(types[0]).toBe("sources");
    expect(types.at(-1)).toBe("finish");
    const lastReasoning = types.lastIndexOf("reasoning-delta");
    const firstText = types.indexOf("text-delta");
    expect(lastReasoning).toBeLessThan(firstText);
    expect(textsOf(parts, "reasoning-delta").join("")).toBe(SCRIPT_REASONING);
    expect(textsOf(parts, "text-delta").join("")).toBe(SCRIPT_ANSWER);
    expect(res.responseTxt).toBe(SCRIPT_ANSWER);
    expect(res.reasoningTxt).toBe(SCRIPT_REASONING);
    const finish = parts.at(-1) as Extract<AnswerPart, { type: "finish" }>;
    expect(finish.finishReason).toBe("stop");
    expect(finish.usage).toMatchObject({
      completionTokens: GENERATED,
      reasoningTokens: SCRIPT_REASONING_TOKENS,
    });
    const final = await res.getResponse();
    expect(final.response).toBe(SCRIPT_ANSWER);
    expect(final.reasoning).toBe(SCRIPT_REASONING);
    expect(counter.tokens).toBe(GENERATED);
  });

  it("complete() and chat() give the reasoning apart from the answer", async () => {
    const { llm } = thinking();
    const done = await llm.complete("What did the author do?");
    expect(done).toMatchObject({ text: SCRIPT_ANSWER, reasoning: SCRIPT_REASONING, finishReason: "stop" });
    expect(done.usage?.reasoningTokens).toBe(SCRIPT_REASONING_TOKENS);
    const turn = await llm.chat([{ role: "user", content: "What did the author do?" }]);
    expect(turn.message).toEqual({ role: "assistant", content: SCRIPT_ANSWER });
    expect(turn.reasoning).toBe(SCRIPT_REASONING);
  });

  it("an unterminated block (maxTokens cut inside it): reasoning to the end, empty answer, and says so", async () => {
    const cut = 10;
    const { llm, counter } = thinking({ maxNewTokens: cut });
    const parts = await partsOf(await llm.streamComplete("What did the author do?"));
    expect(parts.map((p) => p.type)).toEqual([
      ...Array.from({ length: cut - 1 }, () => "reasoning-delta"),
      "finish",
    ]);
    expect(textsOf(parts, "reasoning-delta").join("")).toBe(REASONING_WORDS.slice(0, cut - 1).join(" "));
    expect(parts.at(-1)).toMatchObject({
      finishReason: "unterminated-reasoning",
      usage: { completionTokens: cut, reasoningTokens: cut },
    });
    expect(counter.tokens).toBe(cut);

    const res = await engineFor(llm).query("What did the author do growing up?");
    const final = await res.getResponse();
    expect(final.response).toBe("");
    expect(res.responseTxt).toBe("");
    expect(final.reasoning).toBe(REASONING_WORDS.slice(0, cut - 1).join(" "));
    expect(res.finishReason).toBe("unterminated-reasoning");
  });

  it("cancelling during the reasoning stops generation", async () => {
    const { llm, counter } = thinking();
    await llm.load();
    const res = await engineFor(llm).query("What did the author do growing up?");
    let reasoning = 0;
    for await (const part of res.parts) {
      expect(part.type).not.toBe("text-delta");
      if (part.type === "reasoning-delta" && ++reasoning === 2) break;
    }
    expect(res.cancelled).toBe(true);
    const generated = await quiet(() => counter.tokens);
    // <think> and 2 read, at most readAheadTokens (4) queued, and the one in flight.
    expect(generated).toBeLessThanOrEqual(8);
    expect(generated).toBeLessThan(SCRIPT_REASONING_TOKENS);
    expect(res.responseTxt).toBe("");
    // The model is free again: the next call runs to its end.
    expect((await llm.complete("again")).text).toBe(SCRIPT_ANSWER);
  });

  it("res.cancel() during the reasoning ends parts with `cancelled` and empty partial text", async () => {
    const { llm, counter } = thinking({ readAheadTokens: 0 });
    const res = await engineFor(llm).query("What did the author do growing up?");
    const types: string[] = [];
    for await (const part of res.parts) {
      types.push(part.type);
      if (part.type === "reasoning-delta") await res.cancel();
      if (part.type === "cancelled") expect(part.partialText).toBe("");
    }
    expect(types).toEqual(["sources", "reasoning-delta", "cancelled"]);
    expect(await quiet(() => counter.tokens)).toBeLessThanOrEqual(3);
  });
});

describe("HuggingFaceLLM thinkTags", () => {
  it("false keeps the block in the answer text", async () => {
    const { llm } = thinking({ thinkTags: false });
    const parts = await partsOf(await llm.streamComplete("What did the author do?"));
    expect(parts.some((p) => p.type === "reasoning-delta")).toBe(false);
    expect(textsOf(parts, "text-delta")[0]).toBe(THINK_OPEN);
    expect(textsOf(parts, "text-delta").join("")).toBe(
      `${THINK_OPEN} ${SCRIPT_REASONING}${THINK_CLOSE} ${SCRIPT_ANSWER}`,
    );
  });

  it("is off by default for a model whose template has no think tags; true turns it on", async () => {
    const off = new HuggingFaceLLM({ model: randomPath, maxNewTokens: 12 });
    const on = new HuggingFaceLLM({ model: randomPath, maxNewTokens: 12, thinkTags: true });
    created.push(off, on);
    const a = await off.complete("The lighthouse keeper");
    const b = await on.complete("The lighthouse keeper");
    expect(a.usage?.reasoningTokens).toBeUndefined();
    // The random model writes no think block: with the splitter on, everything is still answer text.
    expect(b.text).toBe(a.text);
    expect(b.reasoning).toBeUndefined();
    expect(b.usage?.reasoningTokens).toBe(0);
    expect(b.finishReason).toBe("length");
  });

  it("{ open, close } splits at those tags only", async () => {
    const { llm } = thinking({ thinkTags: { open: "<reasoning>", close: "</reasoning>" } });
    const res = await llm.complete("What did the author do?");
    expect(res.text).toBe(`${THINK_OPEN} ${SCRIPT_REASONING}${THINK_CLOSE} ${SCRIPT_ANSWER}`);
    expect(res.usage?.reasoningTokens).toBe(0);
  });

  it("an invalid value throws InvalidArgumentError at construction", () => {
    const make = (thinkTags: unknown) =>
      new HuggingFaceLLM({ model: thinkingPath, thinkTags: thinkTags as HuggingFaceLLMOptions["thinkTags"] });
    expect(() => make("on")).toThrow(InvalidArgumentError);
    expect(() => make({ open: "", close: "</think>" })).toThrow(/thinkTags\.open/);
  });
});

describe("HuggingFaceLLM: a prompt that pre-fills the open tag (the output starts inside the reasoning)", () => {
  /** The script after a prompt that ends with the `<think>` token: no open tag, so one reasoning token less. */
  const PREFILLED_REASONING_TOKENS = SCRIPT_REASONING_TOKENS - 1;

  function expectSplit(parts: LLMStreamPart[], reasoningTokens: number) {
    expect(parts.map((p) => p.type)).toEqual([
      ...REASONING_WORDS.map(() => "reasoning-delta"),
      ...Array.from({ length: SCRIPT_ANSWER_TOKENS }, () => "text-delta"),
      "finish",
    ]);
    expect(textsOf(parts, "reasoning-delta")).toEqual(REASONING_WORDS.map((w, i) => (i === 0 ? w : ` ${w}`)));
    expect(textsOf(parts, "reasoning-delta").join("")).toBe(SCRIPT_REASONING);
    expect(textsOf(parts, "text-delta").join("")).toBe(SCRIPT_ANSWER);
    expect(parts.at(-1)).toMatchObject({
      type: "finish",
      finishReason: "stop",
      // transformers.js counts the end-of-sequence token as generated.
      usage: { completionTokens: reasoningTokens + SCRIPT_ANSWER_TOKENS + 1, reasoningTokens },
    });
  }

  it("the pre-filling fixture: the thinking template with <think> after its generation prompt", () => {
    expect(PREFILLED_TEMPLATE).not.toBe(THINKING_CHATML_TEMPLATE);
    const config = JSON.parse(readFileSync(join(prefilledPath, "tokenizer_config.json"), "utf8"));
    expect(config.chat_template).toBe(PREFILLED_TEMPLATE);
  });

  it("the chat path: a chat template whose generation prompt ends with <think>", async () => {
    const plain = new HuggingFaceLLM({ model: prefilledPath, thinkTags: false });
    const llm = new HuggingFaceLLM({ model: prefilledPath });
    created.push(plain, llm);
    // Without thinkTags the pre-filled output shows: it starts inside the reasoning.
    expect((await plain.complete("What did the author do?")).text).toBe(
      ` ${SCRIPT_REASONING}${THINK_CLOSE} ${SCRIPT_ANSWER}`,
    );
    expectSplit(
      await partsOf(await llm.streamComplete("What did the author do?")),
      PREFILLED_REASONING_TOKENS,
    );
    const turn = await llm.chat([{ role: "user", content: "What did the author do?" }]);
    expect(turn.message).toEqual({ role: "assistant", content: SCRIPT_ANSWER });
    expect(turn.reasoning).toBe(SCRIPT_REASONING);
    expect(turn.usage?.reasoningTokens).toBe(PREFILLED_REASONING_TOKENS);
    const res = await engineFor(llm).query("What did the author do growing up?");
    const final = await res.getResponse();
    expect(final.response).toBe(SCRIPT_ANSWER);
    expect(final.reasoning).toBe(SCRIPT_REASONING);
  });

  it("a raw prompt ending with <think>: the same split", async () => {
    const { llm } = thinking({ isChatModel: false });
    expectSplit(
      await partsOf(await llm.streamComplete(`What did the author do? ${THINK_OPEN}`)),
      PREFILLED_REASONING_TOKENS,
    );
    const done = await llm.complete(`Question: why?\n${THINK_OPEN}`);
    expect(done).toMatchObject({ text: SCRIPT_ANSWER, reasoning: SCRIPT_REASONING, finishReason: "stop" });
    expect(done.usage?.reasoningTokens).toBe(PREFILLED_REASONING_TOKENS);
  });

  it("a prompt ending with <think>\\n (the model writes <think> again): the same split", async () => {
    const { llm } = thinking({ isChatModel: false });
    const parts = await partsOf(await llm.streamComplete(`What did the author do? ${THINK_OPEN}\n`));
    expectSplit(parts, SCRIPT_REASONING_TOKENS);
  });

  it("a <think> in the middle of the prompt changes nothing", async () => {
    const { llm } = thinking({ isChatModel: false });
    const parts = await partsOf(await llm.streamComplete(`Use ${THINK_OPEN} tags. Answer:`));
    expectSplit(parts, SCRIPT_REASONING_TOKENS);
  });

  it("is decided per call, at the configured open tag", async () => {
    const { llm } = thinking({
      isChatModel: false,
      thinkTags: { open: "<reasoning>", close: "</reasoning>" },
    });
    const whole = `${THINK_OPEN} ${SCRIPT_REASONING}${THINK_CLOSE} ${SCRIPT_ANSWER}`;
    // The prompt opens a <reasoning> block the model never closes: all of it is reasoning.
    const opened = await llm.complete("Think first. <reasoning>\n");
    expect(opened).toMatchObject({ text: "", reasoning: whole, finishReason: "unterminated-reasoning" });
    expect(opened.usage).toMatchObject({ completionTokens: GENERATED, reasoningTokens: GENERATED });
    // The next call on the same model, whose prompt does not end with the tag, is answer text again.
    const plain = await llm.complete("Say <reasoning> first:");
    expect(plain).toMatchObject({ text: whole, finishReason: "stop" });
    expect(plain.reasoning).toBeUndefined();
    expect(plain.usage?.reasoningTokens).toBe(0);
  });
});
