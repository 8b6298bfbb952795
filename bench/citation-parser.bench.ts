import { CitationParser } from "../src/citations/citation-parser.js";
import { MockLLM } from "../src/llms/mock-llm.js";
import { TextNode } from "../src/schema/node.js";
import { StreamingResponse } from "../src/streaming/streaming-response.js";
import { type BenchResult, median } from "./bench-support.js";

const TOKENS = 20_000;
const EVERY = 20;
/** Answers read per timed run (one 20,000-token answer is a few ms of CPU: too short to time alone). */
const ANSWERS = 10;
const IDS = ["n0", "n1", "n2", "n3", "n4"];
const SOURCES = IDS.map((id) => ({ node: new TextNode({ id, text: `source ${id}` }), score: 1 }));

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

/**
 * What the timed loop reads: the answer without citations, with the least any scanner does per delta, or with
 * citations on (`StreamingResponse` parsing markers in its pass, and, for parts, delivering `citation` parts).
 */
type Mode = "none" | "floor" | "parser";
/** Which view of the answer is read. */
type View = "parts" | "responseGen";

const NOTHING: readonly unknown[] = [];

/** The least a scanner of the text can do per delta: look for `[` and a backtick (the parser's fast path). */
class Floor {
  seen = 0;
  push(text: string): readonly unknown[] {
    if (text.indexOf("[") >= 0 || text.indexOf("`") >= 0) this.seen++;
    return NOTHING;
  }
}

/** The answer read as `view`, with citations on (`parser`), off (`none`), or a bare scan per delta (`floor`). */
async function through(llm: MockLLM, mode: Mode, view: View): Promise<number> {
  const t = process.cpuUsage();
  let cited = 0;
  for (let a = 0; a < ANSWERS; a++) {
    const res = new StreamingResponse({
      stream: await llm.streamComplete("p"),
      controller: new AbortController(),
      sourceNodes: SOURCES,
      citations: mode === "parser",
    });
    const floor = mode === "floor" ? new Floor() : undefined;
    let n = 0;
    if (view === "parts") {
      for await (const part of res.parts) {
        if (part.type === "citation") cited++;
        if (part.type !== "text-delta") continue;
        n += part.text.length;
        floor?.push(part.text);
      }
    } else {
      for await (const text of res.responseGen) {
        n += text.length;
        floor?.push(text);
      }
      cited += res.citations.length;
    }
    if (n === 0) throw new Error("no text read");
  }
  if (mode === "parser" && cited !== (ANSWERS * TOKENS) / EVERY)
    throw new Error(`citations on found ${cited} citations`);
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
 * Per-delta CPU of citations on the text path: a 20,000-token answer with a marker every 20 tokens, read as
 * `StreamingResponse.parts` (with its `citation` parts) and as `responseGen`, with `citations` on and off, and
 * with the least any scanner must do (two `indexOf` per delta) for scale. Each run of the three modes is a triple
 * in rotating order; the ratios are the medians of the triples' own ratios, so machine noise is shared.
 */
export async function benchCitationParser(reps = 15): Promise<BenchResult[]> {
  const tokens = answerTokens();
  const llm = new MockLLM({ response: tokens.join(""), chunking: () => tokens, reportUsage: false });
  const modes: Mode[] = ["none", "floor", "parser"];
  const out: BenchResult[] = [];
  const deltas = ANSWERS * TOKENS;
  const perDelta = (ms: number[]) => (median(ms) * 1e6) / deltas;
  for (const view of ["parts", "responseGen"] as const) {
    for (let i = 0; i < 3; i++) for (const mode of modes) await through(llm, mode, view);
    const cpu: Record<Mode, number[]> = { none: [], floor: [], parser: [] };
    const parserRatio: number[] = [];
    const floorRatio: number[] = [];
    for (let i = 0; i < reps; i++) {
      const run: Partial<Record<Mode, number>> = {};
      for (let k = 0; k < modes.length; k++) {
        const mode = modes[(i + k) % modes.length]!;
        run[mode] = await through(llm, mode, view);
        cpu[mode].push(run[mode]);
      }
      parserRatio.push(run.parser! / run.none!);
      floorRatio.push(run.floor! / run.none!);
    }
    out.push(
      { name: `citation: ${view}, citations off`, value: perDelta(cpu.none), unit: "ns CPU/delta" },
      { name: `citation: ${view}, citations on`, value: perDelta(cpu.parser), unit: "ns CPU/delta" },
      {
        name: `citation: ${view} citations on / off`,
        value: median(parserRatio),
        unit: "x CPU",
        notes: `goal <= 1.05x; ${TOKENS} tokens, a marker every ${EVERY}; median of ${reps} runs' ratios`,
      },
      {
        name: `citation: ${view} with a bare indexOf scan / off`,
        value: median(floorRatio),
        unit: "x CPU",
        notes: "the floor: any scanner's cost on this path",
      },
    );
  }
  const alone: number[] = [];
  for (let i = 0; i < reps; i++) alone.push(parserOnly(tokens));
  out.push({ name: "citation: CitationParser.push alone", value: perDelta(alone), unit: "ns CPU/delta" });
  return out;
}
