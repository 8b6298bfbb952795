import { InvalidArgumentError, NotImplementedError } from "../../errors/index.js";
import { type PromptLike, type PromptTemplate, toPrompt } from "../../prompts/prompt-template.js";
import { RetrieverQueryEngine } from "../retriever-query-engine.js";
import {
  BaseChatEngine,
  type BaseChatEngineOptions,
  type ChatFinalStep,
  type ChatPlanContext,
} from "./base-chat-engine.js";
import { DEFAULT_CONDENSE_PROMPT } from "./chat-prompts.js";
import { condenseQuestion } from "./condense.js";

/** Options of {@link CondenseQuestionChatEngine}. */
export interface CondenseQuestionChatEngineOptions<S extends boolean>
  extends Omit<BaseChatEngineOptions<S>, "streaming"> {
  /** Answers the standalone question; its `streaming` flag is the chat engine's. */
  queryEngine: RetrieverQueryEngine<S>;
  /**
   * What `streamChat()` uses when `queryEngine` does not stream (or a function building it on first use).
   * Without it, `streamChat()` on a non-streaming engine throws `NotImplementedError`.
   */
  streamingQueryEngine?: RetrieverQueryEngine<true> | (() => RetrieverQueryEngine<true>);
  /** Rewrites the follow-up: `{chatHistory}`, `{question}` (default {@link DEFAULT_CONDENSE_PROMPT}). */
  condenseTemplate?: PromptLike;
}

/**
 * Rewrites each follow-up message into a standalone question with one non-streamed LLM call (none for the
 * first message), then asks a query engine: its answer, and its last LLM call's stream, are the chat's. The
 * conversation shapes the question, not the answer prompt. `llm` (the condensing model) defaults to the query
 * engine's.
 *
 * @example
 * ```ts
 * const engine = new CondenseQuestionChatEngine({ queryEngine: index.asQueryEngine({ streaming: true }) });
 * await (await engine.chat("Who founded the company?")).printResponseStream();
 * await (await engine.chat("When?")).printResponseStream(); // asks "When was the company founded?"
 * ```
 */
export class CondenseQuestionChatEngine<S extends boolean = false> extends BaseChatEngine<S> {
  readonly chatMode = "condense_question" as const;
  readonly queryEngine: RetrieverQueryEngine<S>;
  readonly condenseTemplate: PromptTemplate;
  private streamingEngine: CondenseQuestionChatEngineOptions<S>["streamingQueryEngine"];

  constructor(options: CondenseQuestionChatEngineOptions<S>) {
    if (!(options?.queryEngine instanceof RetrieverQueryEngine)) {
      throw new InvalidArgumentError(
        "queryEngine",
        "expected a RetrieverQueryEngine (e.g. index.asQueryEngine({ streaming: true })).",
      );
    }
    // The condensing LLM: the one passed, else the query engine's (both fixed by now).
    super({
      ...options,
      llm: options.llm ?? options.queryEngine.responseSynthesizer.llm,
      streaming: options.queryEngine.streaming,
    });
    this.queryEngine = options.queryEngine;
    this.streamingEngine = options.streamingQueryEngine;
    this.condenseTemplate = toPrompt(options.condenseTemplate ?? DEFAULT_CONDENSE_PROMPT).requireVariables(
      "condenseTemplate",
      ["chatHistory", "question"],
    );
  }

  protected override assertReady(streaming: boolean): void {
    this.engineFor(streaming).responseSynthesizer.assertReady();
  }

  protected async plan(ctx: ChatPlanContext): Promise<ChatFinalStep> {
    const question = await condenseQuestion(ctx, this.condenseTemplate);
    const result = await this.engineFor(ctx.streaming).query(question, {
      signal: ctx.signal,
      priorUsage: ctx.usage.total,
    });
    return { kind: "result", result };
  }

  private engineFor(streaming: boolean): RetrieverQueryEngine<boolean> {
    if (!streaming || this.queryEngine.streaming) return this.queryEngine;
    if (typeof this.streamingEngine === "function") this.streamingEngine = this.streamingEngine();
    if (this.streamingEngine === undefined) {
      throw new NotImplementedError(
        "streamChat() needs a streaming query engine: build the CondenseQuestionChatEngine with " +
          "queryEngine: index.asQueryEngine({ streaming: true }), or pass streamingQueryEngine.",
      );
    }
    return this.streamingEngine;
  }
}
