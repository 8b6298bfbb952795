/** One line of a benchmark's report. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  notes?: string;
}

/** The median (the mean of the two middle values for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `value` rounded to `digits` decimals. */
export function round(value: number, digits = 3): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}

/** One timed generation: time to first token and tokens per second after it. */
export interface GenerationRun {
  ttftMs: number;
  tokensPerSec: number;
  tokens: number;
}

/** A {@link GenerationRun} from the start, first-token and end times (ms) and the token count. */
export function generationRun(t0: number, first: number, end: number, tokens: number): GenerationRun {
  return { ttftMs: first - t0, tokensPerSec: ((tokens - 1) * 1000) / (end - first), tokens };
}

/** The QA-shaped prompt the local-model benchmarks generate from (run `i` varies it so no cache helps). */
export function generationPrompt(i: number): string {
  return (
    `Run ${i}. Below are excerpts from the user's documents.\n=====\nThe lighthouse keeper kept a log of every ` +
    "ship and every storm. He wrote stories at night and programmed the light.\n=====\nUsing only these " +
    "excerpts, answer the question.\nQuestion: What did the keeper do at night?\nAnswer: "
  );
}
