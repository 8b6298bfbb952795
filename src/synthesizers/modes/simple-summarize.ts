import type { FinalStep, ModeContext } from "../types.js";

/** `simple_summarize`: cut every chunk to an equal share of the context window and answer in one call. */
export async function simpleSummarize(ctx: ModeContext): Promise<FinalStep> {
  const { query, prompts, helper } = ctx;
  const truncated = helper.truncate(prompts.qa, { query }, ctx.chunks);
  return { kind: "prompt", prompt: prompts.qa.format({ query, context: truncated.join(helper.separator) }) };
}
