import type { FinalStep, ModeContext } from "../types.js";

/** `context_only`: the answer is the retrieved text itself, joined; no LLM call. */
export async function contextOnly(ctx: ModeContext): Promise<FinalStep> {
  return { kind: "text", text: ctx.chunks.join(ctx.helper.separator) };
}
