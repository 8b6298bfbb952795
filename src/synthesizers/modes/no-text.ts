import type { FinalStep } from "../types.js";

/** `no_text`: retrieve only; the answer is empty and no LLM call is made (sources are on the response). */
export async function noText(): Promise<FinalStep> {
  return { kind: "text", text: "" };
}
