/**
 * Streaming a llama.cpp answer through streamdex (`LlamaCpp.streamComplete` read through a `StreamingResponse`,
 * as a query engine hands it out) versus node-llama-cpp used directly the usual way (`LlamaChatSession.prompt`
 * with `onTextChunk`), on the same model file, same prompts, greedy, same maxTokens, 1 thread, separate
 * contexts of the same size. Both go through the model's chat template. A third side, the bare
 * `sequence.evaluate()` loop on the same tokens, is the floor no wrapper can beat. Runs alternate; each run uses a new prompt
 * (so neither side reuses a cached prefix) and the two sides see the same prompt sequence.
 *
 *   npx tsx bench/llamacpp.bench.ts                 # the tiny random model (generated if missing)
 *   LLAMACPP_BENCH_MODEL=model.gguf npx tsx bench/llamacpp.bench.ts
 */
import type {
  ChatWrapper,
  LlamaChatSession,
  LlamaContext,
  LlamaContextSequence,
  LlamaModel,
} from "node-llama-cpp";
import { LlamaCpp } from "../src/providers/llamacpp/index.js";
import { loadNodeLlamaCpp } from "../src/providers/llamacpp/load-module.js";
import { chatPrompt } from "../src/providers/llamacpp/prompt.js";
import { StreamingResponse } from "../src/streaming/streaming-response.js";
import { ensureTinyGguf } from "../test/fixtures/make-tiny-gguf.js";
import {
  type BenchResult,
  type GenerationRun,
  generationPrompt,
  generationRun,
  median,
} from "./bench-support.js";

const MAX_TOKENS = 128;
const CONTEXT = 512;

async function viaStreamdex(llm: LlamaCpp, text: string): Promise<GenerationRun> {
  const t0 = performance.now();
  const res = new StreamingResponse({
    stream: await llm.streamComplete(text),
    controller: new AbortController(),
  });
  let first = 0;
  let deltas = 0;
  for await (const _ of res.responseGen) {
    if (deltas++ === 0) first = performance.now();
  }
  const end = performance.now();
  const tokens = (await res.getResponse()).usage?.completionTokens ?? deltas;
  return generationRun(t0, first, end, tokens);
}

async function viaNodeLlamaCpp(session: LlamaChatSession, text: string): Promise<GenerationRun> {
  session.resetChatHistory();
  const t0 = performance.now();
  let first = 0;
  let tokens = 0;
  await session.prompt(text, {
    maxTokens: MAX_TOKENS,
    temperature: 0,
    repeatPenalty: false,
    onToken: (t) => {
      if (tokens === 0) first = performance.now();
      tokens += t.length;
    },
  });
  const end = performance.now();
  return generationRun(t0, first, end, tokens);
}

/** The floor: the same chat-templated tokens through the bare `sequence.evaluate()` loop, one detokenize a token. */
async function viaRawEvaluate(
  model: LlamaModel,
  wrapper: ChatWrapper,
  sequence: LlamaContextSequence,
  text: string,
): Promise<GenerationRun> {
  const t0 = performance.now();
  await sequence.clearHistory();
  const { tokens: input } = chatPrompt(model, wrapper, [{ role: "user", content: text }]);
  let first = 0;
  let tokens = 0;
  let out = "";
  for await (const token of sequence.evaluate(input, { temperature: 0 })) {
    if (tokens === 0) first = performance.now();
    out += model.detokenize([token]);
    if (++tokens >= MAX_TOKENS) break;
  }
  const end = performance.now();
  if (out === "") throw new Error("raw evaluate produced no text");
  return generationRun(t0, first, end, tokens);
}

/** TTFT and tokens/s through streamdex vs node-llama-cpp directly; goal: both ratios within 1.1x. */
export async function benchLlamaCpp(reps = 9): Promise<BenchResult[]> {
  const modelPath = process.env.LLAMACPP_BENCH_MODEL ?? ensureTinyGguf();
  const llm = new LlamaCpp({
    modelPath,
    threads: 1,
    maxTokens: MAX_TOKENS,
    contextSize: CONTEXT,
    temperature: 0,
  });
  const nlc = await loadNodeLlamaCpp();
  const model = await llm.getModel();
  const context: LlamaContext = await model.createContext({ contextSize: CONTEXT, threads: 1 });
  const session = new nlc.LlamaChatSession({ contextSequence: context.getSequence() });
  const rawContext: LlamaContext = await model.createContext({ contextSize: CONTEXT, threads: 1 });
  const rawSequence = rawContext.getSequence();
  const wrapper = nlc.resolveChatWrapper(model);
  const raw = (text: string) => viaRawEvaluate(model, wrapper, rawSequence, text);
  try {
    let i = 0;
    for (let w = 0; w < 2; w++) {
      await viaStreamdex(llm, generationPrompt(i));
      await viaNodeLlamaCpp(session, generationPrompt(i));
      await raw(generationPrompt(i++));
    }
    const ours: GenerationRun[] = [];
    const direct: GenerationRun[] = [];
    const floor: GenerationRun[] = [];
    const sides = [
      (text: string) => viaStreamdex(llm, text).then((run) => ours.push(run)),
      (text: string) => viaNodeLlamaCpp(session, text).then((run) => direct.push(run)),
      (text: string) => raw(text).then((run) => floor.push(run)),
    ];
    for (let r = 0; r < reps; r++) {
      // Rotate which side goes first, so none always runs on a warmer (or busier) machine.
      for (let k = 0; k < sides.length; k++) await sides[(r + k) % sides.length]!(generationPrompt(i));
      i++;
    }
    const ttft = [median(ours.map((r) => r.ttftMs)), median(direct.map((r) => r.ttftMs))] as const;
    const tps = [median(ours.map((r) => r.tokensPerSec)), median(direct.map((r) => r.tokensPerSec))] as const;
    const floorTps = median(floor.map((r) => r.tokensPerSec));
    const notes = `${model.filename ?? modelPath}, ${median(ours.map((r) => r.tokens))}/${median(direct.map((r) => r.tokens))} tokens, median of ${reps}`;
    return [
      { name: "llamacpp: streamdex TTFT", value: ttft[0], unit: "ms", notes },
      { name: "llamacpp: node-llama-cpp LlamaChatSession TTFT", value: ttft[1], unit: "ms" },
      { name: "llamacpp: streamdex tokens/s", value: tps[0], unit: "tok/s" },
      { name: "llamacpp: node-llama-cpp LlamaChatSession tokens/s", value: tps[1], unit: "tok/s" },
      {
        name: "llamacpp: TTFT streamdex / direct",
        value: ttft[0] / ttft[1],
        unit: "x",
        notes: "goal <= 1.1x",
      },
      {
        name: "llamacpp: tokens/s direct / streamdex",
        value: tps[1] / tps[0],
        unit: "x",
        notes: "goal <= 1.1x",
      },
      {
        name: "llamacpp: bare sequence.evaluate() TTFT",
        value: median(floor.map((r) => r.ttftMs)),
        unit: "ms",
      },
      {
        name: "llamacpp: bare sequence.evaluate() tokens/s",
        value: floorTps,
        unit: "tok/s",
        notes: "the floor",
      },
      {
        name: "llamacpp: tokens/s bare evaluate() / streamdex",
        value: floorTps / tps[0],
        unit: "x",
        notes: "per-token cost of detokenizing, stop texts, queue, StreamingResponse",
      },
    ];
  } finally {
    await context.dispose();
    await rawContext.dispose();
    await llm.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchLlamaCpp()) {
    const value = Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(r.value < 10 ? 3 : 1);
    console.log(`  ${r.name.padEnd(56)} ${value.padStart(10)} ${r.unit}${r.notes ? `   (${r.notes})` : ""}`);
  }
}
