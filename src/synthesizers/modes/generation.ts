import type { FinalStep, ModeContext } from "../types.js";

/** `generation`: ignore the retrieved text and answer the question with the LLM alone (one call). */
export async function generation(ctx: ModeContext): Promise<FinalStep> {
  return { kind: "prompt", prompt: ctx.prompts.generation.format({ query: ctx.query }) };
}
