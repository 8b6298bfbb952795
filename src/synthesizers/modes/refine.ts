import type { FinalStep, ModeContext } from "../types.js";

/**
 * `refine`: answer from the first chunk, then rewrite the answer with each next chunk, one LLM call per chunk
 * (chunks too big for the prompt are split). Only the last call streams.
 */
export async function refine(ctx: ModeContext): Promise<FinalStep> {
  return refineOver(ctx, ctx.chunks);
}

/** The refine loop over ready-made texts (also used by `compact` after packing). */
export async function refineOver(ctx: ModeContext, texts: string[]): Promise<FinalStep> {
  const { query, prompts, helper } = ctx;
  let answer: string | undefined;
  // Each step's prompt is only known once the previous answer is, so pieces are fitted as we go.
  const pending = [...texts];
  let step = 0;
  while (pending.length > 0) {
    const text = pending.shift()!;
    const template = answer === undefined ? prompts.qa : prompts.refine;
    const values: Record<string, string> =
      answer === undefined ? { query } : { query, existingAnswer: answer };
    const pieces = helper.repack(template, values, [text]);
    pending.unshift(...pieces.slice(1));
    const prompt = template.format({ ...values, context: pieces[0] ?? "" });
    step++;
    const total = step + pending.length;
    const final = pending.length === 0;
    // A single call has no earlier calls to report.
    if (total > 1) ctx.progress?.({ step, total, done: step - 1, phase: "start", final });
    if (final) return { kind: "prompt", prompt };
    answer = await ctx.complete(prompt);
    ctx.progress?.({ step, total, done: step, phase: "end", final: false });
  }
  return { kind: "prompt", prompt: prompts.qa.format({ query, context: "" }) };
}
