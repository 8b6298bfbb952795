import { CitationParser } from "../src/citations/citation-parser.js";
import { MockLLM } from "../src/llms/mock-llm.js";
import { StreamingResponse } from "../src/streaming/streaming-response.js";
import { type BenchResult, median } from "./bench-support.js";

const TOKENS = 20_000;
const EVERY = 20;
/** Answers read per timed run (one 20,000-token answer is a few ms of CPU: too short to time alone). */
const ANSWERS = 10;
const IDS = ["n0", "n1", "n2", "n3", "n4"];

/** A 20,000-token answer as its tokens: words, and every 20 tokens a marker cut as a tokenizer does (" [", "3", "]"). */
function answerTokens(): string[] {
  const words = [" the", " company", " was", " founded", " in", " 1998", " by", " two", " engineers", "."];
  const tokens: string[] = [];
  for (let i = 0; tokens.length < TOKENS; i++) {
    if (tokens.length % EVERY === EVERY - 3) tokens.push(" [", String((i % 7) + 1), "]");
    else tokens.push(words[i % words.length]!);
  }
  return tokens.slice(0, TOKENS);
}

function cpuMs(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

/** What the timed loop does with each text-delta: nothing, the least any scanner does, or the parser. */
type Mode = "none" | "floor" | "parser";

const NOTHING: readonly unknown[] = [];

/** The least a scanner of the text can do per delta: look for `[` and a backtick (the parser's fast path). */
class Floor {
  seen = 0;
  push(text: string): readonly unknown[] {
    if (text.indexOf("[") >= 0 || text.indexOf("`") >= 0) this.seen++;
    return NOTHING;
  }
}

/** The answer read as parts (the text path of a streamed answer), each text-delta handed to the mode's observer. */
async function throughParts(llm: MockLLM, mode: Mode): Promise<number> {
  const t = process.cpuUsage();
  let cited = 0;
  for (let a = 0; a < ANSWERS; a++) {
    const res = new StreamingResponse({
      stream: await llm.streamComplete("p"),
      controller: new AbortController(),
    });
    const observer = mode === "none" ? undefined : mode === "floor" ? new Floor() : new CitationParser(IDS);
    let n = 0;
    for await (const part of res.parts) {
      if (part.type !== "text-delta") continue;
      n += part.text.length;
      if (observer) cited += observer.push(part.text).length;
    }
    if (n === 0) throw new Error("no text read");
  }
  if (mode === "parser" && cited !== (ANSWERS * TOKENS) / EVERY)
    throw new Error(`parser found ${cited} citations`);
  return cpuMs(t);
}

/** The parser alone over the same tokens (no stream around it). */
function parserOnly(tokens: string[]): number {
  const t = process.cpuUsage();
  let cited = 0;
  for (let a = 0; a < ANSWERS; a++) {
    const parser = new CitationParser(IDS);
    for (const token of tokens) cited += parser.push(token).length;
    parser.end();
  }
  if (cited !== (ANSWERS * TOKENS) / EVERY) throw new Error(`parser found ${cited} citations`);
  return cpuMs(t);
}

/**
 * Per-delta CPU of the citation parser on the text path: a 20,000-token answer with a marker every 20 tokens,
 * read as `StreamingResponse.parts` with and without `CitationParser.push` on every text-delta, and with the
 * least any scanner must do (two `indexOf` per delta) for scale. Each run of the three is a triple in rotating
 * order; the ratios are the medians of the triples' own ratios, so machine noise is shared.
 */
export async function benchCitationParser(reps = 15): Promise<BenchResult[]> {
  const tokens = answerTokens();
  const llm = new MockLLM({ response: tokens.join(""), chunking: () => tokens, reportUsage: false });
  const modes: Mode[] = ["none", "floor", "parser"];
  for (let i = 0; i < 3; i++) {
    for (const mode of modes) await throughParts(llm, mode);
    parserOnly(tokens);
  }
  const cpu: Record<Mode, number[]> = { none: [], floor: [], parser: [] };
  const parserRatio: number[] = [];
  const floorRatio: number[] = [];
  const alone: number[] = [];
  for (let i = 0; i < reps; i++) {
    const run: Partial<Record<Mode, number>> = {};
    for (let k = 0; k < modes.length; k++) {
      const mode = modes[(i + k) % modes.length]!;
      run[mode] = await throughParts(llm, mode);
      cpu[mode].push(run[mode]);
    }
    parserRatio.push(run.parser! / run.none!);
    floorRatio.push(run.floor! / run.none!);
    alone.push(parserOnly(tokens));
  }
  const deltas = ANSWERS * TOKENS;
  const perDelta = (ms: number[]) => (median(ms) * 1e6) / deltas;
  return [
    { name: "citation: parts, no parser", value: perDelta(cpu.none), unit: "ns CPU/delta" },
    { name: "citation: parts + CitationParser.push", value: perDelta(cpu.parser), unit: "ns CPU/delta" },
    {
      name: "citation: parts with parser / without",
      value: median(parserRatio),
      unit: "x CPU",
      notes: `goal <= 1.05x; ${TOKENS} tokens, a marker every ${EVERY}; median of ${reps} runs' ratios`,
    },
    {
      name: "citation: parts with a bare indexOf scan / without",
      value: median(floorRatio),
      unit: "x CPU",
      notes: "the floor: any scanner's cost on this path",
    },
    { name: "citation: CitationParser.push alone", value: perDelta(alone), unit: "ns CPU/delta" },
  ];
}
