import type { FinalStep, ModeContext } from "../types.js";
import { refineOver } from "./refine.js";

/**
 * `compact` (the default): pack the chunks into as few prompts as fit the context window, then refine over
 * the packed texts. Usually one LLM call; only the last call streams.
 */
export async function compact(ctx: ModeContext): Promise<FinalStep> {
  const packed = ctx.helper.repack(biggestPrompt(ctx), { query: ctx.query, existingAnswer: "" }, ctx.chunks);
  return refineOver(ctx, packed);
}

/** The larger of the QA and refine templates, so packed text fits either (LlamaIndex does the same). */
function biggestPrompt(ctx: ModeContext) {
  const { qa, refine } = ctx.prompts;
  return refine.template.length > qa.template.length ? refine : qa;
}
