import type { FinalStep, ModeContext } from "../types.js";
import { accumulateOver } from "./accumulate.js";

/** `compact_accumulate`: like `accumulate`, but chunks are first packed into as few prompts as fit. */
export async function compactAccumulate(ctx: ModeContext): Promise<FinalStep> {
  return accumulateOver(ctx, ctx.helper.repack(ctx.prompts.qa, { query: ctx.query }, ctx.chunks));
}
