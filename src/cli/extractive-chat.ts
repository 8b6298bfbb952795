import { BaseLLM } from "../llms/base-llm.js";
import type { ExtractiveLLM } from "../llms/extractive-llm.js";
import type { ChatMessage, LLMCallOptions, LLMMetadata, LLMStream } from "../llms/types.js";

/**
 * The extractive answerer, for chat engines. It reads a prompt with the excerpts between `=====` lines and a
 * `Question:` line; chat engines send messages instead (excerpts in the system message, the question last).
 * This puts the latest user message as the question and the system message as the context. Completion prompts
 * (a query engine's) pass through unchanged.
 */
export class ExtractiveChatLLM extends BaseLLM {
  readonly metadata: LLMMetadata;

  constructor(private readonly inner: ExtractiveLLM) {
    super();
    this.metadata = inner.metadata;
  }

  protected override doStreamComplete(prompt: string, options: LLMCallOptions): Promise<LLMStream> {
    return this.inner.streamComplete(prompt, options);
  }

  protected override doStreamChat(messages: ChatMessage[], options: LLMCallOptions): Promise<LLMStream> {
    const question = messages.findLast((m) => m.role === "user")?.content ?? "";
    const context = messages.filter((m) => m.role === "system").map((m) => m.content);
    return this.inner.streamComplete(
      `Question: ${question.replace(/\s+/g, " ")}\n${context.join("\n")}`,
      options,
    );
  }
}
