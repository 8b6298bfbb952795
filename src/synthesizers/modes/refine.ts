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
  while (pending.length > 0) {
    const text = pending.shift()!;
    const template = answer === undefined ? prompts.qa : prompts.refine;
    const values: Record<string, string> =
      answer === undefined ? { query } : { query, existingAnswer: answer };
    const pieces = helper.repack(template, values, [text]);
    pending.unshift(...pieces.slice(1));
    const prompt = template.format({ ...values, context: pieces[0] ?? "" });
    if (pending.length === 0) return { kind: "prompt", prompt };
    answer = await ctx.complete(prompt);
  }
  return { kind: "prompt", prompt: prompts.qa.format({ query, context: "" }) };
}
