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
      return { kind: "prompt", prompt: prompts.summary.format({ query, context: packed[0] ?? "" }) };
    }
    if (level > 0 && packed.length >= texts.length) {
      // Summaries too long to pack two per prompt would never converge: give each an equal share instead.
      const context = helper.truncate(prompts.summary, { query }, texts).join(helper.separator);
      return { kind: "prompt", prompt: prompts.summary.format({ query, context }) };
    }
    texts = await mapConcurrent(packed, ctx.maxConcurrency, (context) =>
      ctx.complete(prompts.summary.format({ query, context })),
    );
  }
}
