import type { NodePostprocessor } from "../../postprocessors/types.js";
import { type PromptLike, type PromptTemplate, toPrompt } from "../../prompts/prompt-template.js";
import type { BaseRetriever } from "../../retrievers/types.js";
import { Settings } from "../../settings/settings.js";
import {
  BaseChatEngine,
  type BaseChatEngineOptions,
  type ChatFinalStep,
  type ChatPlanContext,
  systemTokens,
  withSystem,
} from "./base-chat-engine.js";
import { DEFAULT_CONTEXT_SYSTEM_PROMPT } from "./chat-prompts.js";
import { type ChatRetrieval, checkRetrieval, formatContext, retrieveNodes } from "./retrieval.js";
import { checkSystemPrompt } from "./simple-chat-engine.js";

/** Options of {@link ContextChatEngine}. */
export interface ContextChatEngineOptions<S extends boolean> extends BaseChatEngineOptions<S> {
  /** Finds the excerpts for each message, e.g. `index.asRetriever({ similarityTopK: 2 })`. */
  retriever: BaseRetriever;
  nodePostprocessors?: NodePostprocessor[];
  /** Put first in the system message, before the excerpts. */
  systemPrompt?: string;
  /** The system message around the excerpts: `{context}` (default {@link DEFAULT_CONTEXT_SYSTEM_PROMPT}). */
  contextTemplate?: PromptLike;
}

/**
 * Retrieves excerpts for each message and answers with them in the system message, followed by the
 * conversation: one LLM call per message (streamed when streaming). `sourceNodes` are the excerpts.
 *
 * @example
 * ```ts
 * const engine = new ContextChatEngine({ retriever: index.asRetriever(), streaming: true });
 * const res = await engine.chat("Where is the office?");
 * console.log(res.sourceNodes.length); // before the first token
 * ```
 */
export class ContextChatEngine<S extends boolean = false> extends BaseChatEngine<S> {
  readonly chatMode: "context" | "condense_plus_context" = "context";
  readonly systemPrompt: string;
  readonly contextTemplate: PromptTemplate;
  protected readonly retrieval: ChatRetrieval;

  constructor(options: ContextChatEngineOptions<S>) {
    super(options);
    this.retrieval = checkRetrieval(options.retriever, options.nodePostprocessors);
    this.systemPrompt = checkSystemPrompt(options.systemPrompt);
    this.contextTemplate = toPrompt(
      options.contextTemplate ?? DEFAULT_CONTEXT_SYSTEM_PROMPT,
    ).requireVariables("contextTemplate", ["context"]);
    this.checkStreamingAtConstruction();
  }

  /** What to retrieve with: the message itself (overridden by `condense_plus_context`). */
  protected retrievalQuery(ctx: ChatPlanContext): Promise<string> {
    return Promise.resolve(ctx.message);
  }

  protected async plan(ctx: ChatPlanContext): Promise<ChatFinalStep> {
    const query = await this.retrievalQuery(ctx);
    const retrieving = performance.now();
    const nodes = await retrieveNodes(this.retrieval, query, ctx.signal, (u) => ctx.usage.addEmbedding(u));
    ctx.clock.retrieveMs = performance.now() - retrieving;
    const events = Settings.events;
    if (events.has("retrieve-end")) events.emit({ type: "retrieve-end", queryId: ctx.chatId, nodes });
    const context = this.contextTemplate.format({ context: formatContext(nodes) });
    const system = this.systemPrompt === "" ? context : `${this.systemPrompt}\n\n${context}`;
    const history = ctx.history(systemTokens(ctx, system));
    return { kind: "llm", messages: withSystem(system, history), sourceNodes: nodes };
  }
}
