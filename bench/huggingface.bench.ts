/**
 * Streaming a transformers.js answer through streamdex (`HuggingFaceLLM.streamComplete` read through a
 * `StreamingResponse`, as a query engine hands it out) versus the same transformers.js model called directly the
 * usual way (`model.generate()` with a `TextStreamer`), on the same loaded model (same ONNX session), same
 * chat-templated prompt tokens, greedy, same max_new_tokens. Runs alternate (which side goes first rotates); each
 * run uses a new prompt and both sides see the same prompt sequence; figures are medians.
 *
 * A third side repeats the direct one, so the report shows how far two identical sides drift apart (the noise
 * floor). The best run of each side is reported too: on a shared 2-core machine, contention only ever slows a run down,
 * so best-of is the steadier comparison when the medians wander. Also measured: how far generation runs ahead of
 * a reader that stops reading (the backpressure bound).
 *
 *   npx tsx bench/huggingface.bench.ts                      # the tiny random GPT-2 (generated if missing)
 *   HF_BENCH_MODEL=medium npx tsx bench/huggingface.bench.ts  # a 256-wide, 4-layer random GPT-2 (~15 MB)
 *   HF_BENCH_MODEL=./models/SmolLM2-135M-Instruct HF_BENCH_DTYPE=q8 npx tsx bench/huggingface.bench.ts
 */
import { join } from "node:path";
import {
  AutoTokenizer,
  env,
  type PreTrainedTokenizer,
  type Tensor,
  TextStreamer,
} from "@huggingface/transformers";
import { HuggingFaceLLM } from "../src/providers/huggingface/index.js";
import type { HuggingFaceDtype } from "../src/providers/huggingface/model-source.js";
import { StreamingResponse } from "../src/streaming/streaming-response.js";
import { GENERATOR_KEY } from "../test/fixtures/generator-key.js";
import { ensureTinyGpt2 } from "../test/fixtures/onnx/make-tiny-gpt2.js";
import { GENERATED_DIR } from "../test/fixtures/onnx/model-dir.js";
import {
  type BenchResult,
  type GenerationRun,
  generationPrompt,
  generationRun,
  median,
} from "./bench-support.js";

const MAX_TOKENS = 128;

async function viaStreamdex(llm: HuggingFaceLLM, text: string): Promise<GenerationRun> {
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

/** transformers.js used directly: the chat template, then generate() with a TextStreamer printing to a sink. */
async function viaTransformers(
  llm: HuggingFaceLLM,
  tokenizer: PreTrainedTokenizer,
  text: string,
): Promise<GenerationRun> {
  const model = await llm.getModel();
  const t0 = performance.now();
  const inputs = tokenizer.apply_chat_template([{ role: "user", content: text }], {
    add_generation_prompt: true,
    return_dict: true,
  }) as { input_ids: Tensor; attention_mask: Tensor };
  let first = 0;
  let tokens = 0;
  let out = "";
  const streamer = new TextStreamer(tokenizer, {
    skip_prompt: true,
    callback_function: (t: string) => {
      out += t;
    },
    token_callback_function: () => {
      if (tokens++ === 0) first = performance.now();
    },
  });
  await model.generate({ ...inputs, max_new_tokens: MAX_TOKENS, do_sample: false, streamer });
  const end = performance.now();
  if (out === "") throw new Error("transformers.js produced no text");
  return generationRun(t0, first, end, tokens);
}

/** Tokens computed beyond the one a reader consumed, once it stops reading for `pauseMs`. */
async function runAhead(llm: HuggingFaceLLM, counter: { tokens: number }, pauseMs: number): Promise<number> {
  const before = counter.tokens;
  const it = (await llm.streamComplete(generationPrompt(-1)))[Symbol.asyncIterator]();
  await it.next();
  await new Promise((r) => setTimeout(r, pauseMs));
  const ahead = counter.tokens - before - 1;
  await it.return?.();
  return ahead;
}

function benchModel(name: string | undefined): string {
  if (name === undefined) return ensureTinyGpt2();
  if (name !== "medium") return name;
  return ensureTinyGpt2(join(GENERATED_DIR, `bench-gpt2-256x4-${GENERATOR_KEY}`), {
    nEmbd: 256,
    nLayer: 4,
    nHead: 8,
  });
}

/** Tokens/s and TTFT through streamdex vs transformers.js directly; goal: tokens/s within 1.1x. */
export async function benchHuggingFace(reps = 21): Promise<BenchResult[]> {
  env.allowRemoteModels = false;
  const model = benchModel(process.env.HF_BENCH_MODEL);
  const dtype = process.env.HF_BENCH_DTYPE as HuggingFaceDtype | undefined;
  const counter = { tokens: 0 };
  const llm = new HuggingFaceLLM({
    model,
    dtype,
    maxNewTokens: MAX_TOKENS,
    isChatModel: true,
    onToken: () => counter.tokens++,
  });
  // The direct side's own tokenizer, loaded as a transformers.js user would (the model is shared).
  const tokenizer = await AutoTokenizer.from_pretrained(model, { local_files_only: true });
  await llm.load();
  try {
    let i = 0;
    for (let w = 0; w < 2; w++) {
      await viaStreamdex(llm, generationPrompt(i));
      await viaTransformers(llm, tokenizer, generationPrompt(i++));
    }
    const ours: GenerationRun[] = [];
    const direct: GenerationRun[] = [];
    const control: GenerationRun[] = [];
    const sides = [
      (text: string) => viaStreamdex(llm, text).then((run) => ours.push(run)),
      (text: string) => viaTransformers(llm, tokenizer, text).then((run) => direct.push(run)),
      // The direct side once more: how far two identical sides drift apart on this machine (the noise floor).
      (text: string) => viaTransformers(llm, tokenizer, text).then((run) => control.push(run)),
    ];
    for (let r = 0; r < reps; r++) {
      for (let k = 0; k < sides.length; k++) await sides[(r + k) % sides.length]!(generationPrompt(i));
      i++;
    }
    const ahead = await runAhead(llm, counter, 300);
    const best = [
      Math.max(...ours.map((r) => r.tokensPerSec)),
      Math.max(...direct.map((r) => r.tokensPerSec)),
    ];
    const ttft = [median(ours.map((r) => r.ttftMs)), median(direct.map((r) => r.ttftMs))] as const;
    const tps = [median(ours.map((r) => r.tokensPerSec)), median(direct.map((r) => r.tokensPerSec))] as const;
    const notes = `${llm.metadata.model}, ${median(ours.map((r) => r.tokens))}/${median(direct.map((r) => r.tokens))} tokens, median of ${reps}`;
    return [
      { name: "huggingface: streamdex TTFT", value: ttft[0], unit: "ms", notes },
      { name: "huggingface: transformers.js generate()+TextStreamer TTFT", value: ttft[1], unit: "ms" },
      { name: "huggingface: streamdex tokens/s", value: tps[0], unit: "tok/s" },
      { name: "huggingface: transformers.js generate()+TextStreamer tokens/s", value: tps[1], unit: "tok/s" },
      {
        name: "huggingface: TTFT streamdex / direct",
        value: ttft[0] / ttft[1],
        unit: "x",
        notes: "goal <= 1.1x",
      },
      {
        name: "huggingface: tokens/s direct / streamdex",
        value: tps[1] / tps[0],
        unit: "x",
        notes: "goal <= 1.1x",
      },
      {
        name: "huggingface: tokens/s direct / direct again (noise floor)",
        value: tps[1] / median(control.map((r) => r.tokensPerSec)),
        unit: "x",
        notes: "identical sides; how far from 1.0 the ratio above can drift by chance",
      },
      {
        name: "huggingface: tokens/s direct / streamdex, best runs",
        value: best[1]! / best[0]!,
        unit: "x",
        notes: `best ${best[0]!.toFixed(0)} vs ${best[1]!.toFixed(0)} tok/s`,
      },
      {
        name: "huggingface: tokens generated ahead of a reader paused 300 ms",
        value: ahead,
        unit: "tokens",
        notes: "readAheadTokens 4 (default): generation pauses, not buffers",
      },
    ];
  } finally {
    await llm.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchHuggingFace()) {
    const value = Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(r.value < 10 ? 3 : 1);
    console.log(`  ${r.name.padEnd(64)} ${value.padStart(10)} ${r.unit}${r.notes ? `   (${r.notes})` : ""}`);
  }
}
