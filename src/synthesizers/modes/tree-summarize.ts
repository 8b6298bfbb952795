import { mapConcurrent } from "../../utils/map-concurrent.js";
import type { FinalStep, ModeContext } from "../types.js";

/**
 * `tree_summarize`: pack the chunks; summarise each pack (calls run concurrently), then the summaries, level by
 * level, until one pack is left. That last summary is the answer and the only call that streams.
 */
export async function treeSummarize(ctx: ModeContext): Promise<FinalStep> {
  const { query, prompts, helper } = ctx;
  let texts = ctx.chunks;
  for (let level = 0; ; level++) {
    const packed = helper.repack(prompts.summary, { query }, texts);
    if (packed.length <= 1) {
      return finalStep(ctx, level, prompts.summary.format({ query, context: packed[0] ?? "" }));
    }
    if (level > 0 && packed.length >= texts.length) {
      // Summaries too long to pack two per prompt would never converge: give each an equal share instead.
      const context = helper.truncate(prompts.summary, { query }, texts).join(helper.separator);
      return finalStep(ctx, level, prompts.summary.format({ query, context }));
    }
    const total = packed.length;
    let done = 0;
    texts = await mapConcurrent(packed, ctx.maxConcurrency, async (context, i) => {
      ctx.progress?.({ level: level + 1, step: i + 1, total, done, phase: "start", final: false });
      const summary = await ctx.complete(prompts.summary.format({ query, context }));
      done++;
      ctx.progress?.({ level: level + 1, step: i + 1, total, done, phase: "end", final: false });
      return summary;
    });
  }
}

/** The last summary, on a level of its own (reported only when levels ran before it). */
function finalStep(ctx: ModeContext, levelsDone: number, prompt: string): FinalStep {
  if (levelsDone > 0) {
    ctx.progress?.({ level: levelsDone + 1, step: 1, total: 1, done: 0, phase: "start", final: true });
  }
  return { kind: "prompt", prompt };
}
