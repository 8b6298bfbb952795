import type { FinalStep, ModeContext } from "../types.js";

/**
 * `accumulate`: ask the question of every chunk separately and return all the answers, in chunk order. In
 * streaming mode each answer streams in turn while the next calls already run.
 */
export async function accumulate(ctx: ModeContext): Promise<FinalStep> {
  return accumulateOver(ctx, ctx.chunks);
}

/** One QA prompt per text (a text too big for the prompt is split into several). */
export function accumulateOver(ctx: ModeContext, texts: string[]): FinalStep {
  const { query, prompts, helper } = ctx;
  const prompt = (context: string) => prompts.qa.format({ query, context });
  const pieces = texts.flatMap((t) => helper.repack(prompts.qa, { query }, [t]));
  return { kind: "prompts", prompts: pieces.map(prompt), separator: ctx.accumulateSeparator };
}
