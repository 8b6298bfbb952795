import { type PromptLike, type PromptTemplate, toPrompt } from "../../prompts/prompt-template.js";
import type { ChatPlanContext } from "./base-chat-engine.js";
import { DEFAULT_CONDENSE_PROMPT } from "./chat-prompts.js";
import { condenseQuestion } from "./condense.js";
import { ContextChatEngine, type ContextChatEngineOptions } from "./context-chat-engine.js";

/** Options of {@link CondensePlusContextChatEngine}. */
export interface CondensePlusContextChatEngineOptions<S extends boolean> extends ContextChatEngineOptions<S> {
  /** Rewrites the follow-up: `{chatHistory}`, `{question}` (default {@link DEFAULT_CONDENSE_PROMPT}). */
  condenseTemplate?: PromptLike;
}

/**
 * Like {@link ContextChatEngine}, but retrieves with a standalone question: when there are earlier turns, one
 * non-streamed LLM call first rewrites the message from the conversation ("and after that?" becomes "What did
 * the author do after college?"). The answer then sees the excerpts, the conversation and the original message;
 * only this last call streams.
 *
 * @example
 * ```ts
 * const engine = index.asChatEngine({ chatMode: "condense_plus_context", streaming: true });
 * ```
 */
export class CondensePlusContextChatEngine<S extends boolean = false> extends ContextChatEngine<S> {
  override readonly chatMode = "condense_plus_context" as const;
  readonly condenseTemplate: PromptTemplate;

  constructor(options: CondensePlusContextChatEngineOptions<S>) {
    super(options);
    this.condenseTemplate = toPrompt(options.condenseTemplate ?? DEFAULT_CONDENSE_PROMPT).requireVariables(
      "condenseTemplate",
      ["chatHistory", "question"],
    );
  }

  protected override retrievalQuery(ctx: ChatPlanContext): Promise<string> {
    return condenseQuestion(ctx, this.condenseTemplate);
  }
}
