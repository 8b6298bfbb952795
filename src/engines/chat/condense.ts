import type { PromptTemplate } from "../../prompts/prompt-template.js";
import type { ChatPlanContext } from "./base-chat-engine.js";

/**
 * The message as a standalone question: with no earlier turns it is the message itself (no LLM call);
 * otherwise one non-streamed LLM call rewrites it from the conversation. An empty rewrite falls back to the
 * message.
 */
export async function condenseQuestion(ctx: ChatPlanContext, template: PromptTemplate): Promise<string> {
  const emptyPrompt = template.format({ chatHistory: "", question: ctx.message });
  const turns = ctx.history(ctx.countTokens(emptyPrompt)).filter((m) => m.role !== "system");
  const earlier = turns.slice(0, -1);
  if (earlier.length === 0) return ctx.message;
  const chatHistory = earlier.map((m) => `${m.role}: ${m.content}`).join("\n");
  const standalone = (await ctx.complete(template.format({ chatHistory, question: ctx.message }))).trim();
  return standalone === "" ? ctx.message : standalone;
}
