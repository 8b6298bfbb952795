import { InvalidArgumentError } from "../../errors/index.js";
import {
  BaseChatEngine,
  type BaseChatEngineOptions,
  type ChatFinalStep,
  type ChatPlanContext,
  systemTokens,
  withSystem,
} from "./base-chat-engine.js";

/** Options of {@link SimpleChatEngine}. */
export interface SimpleChatEngineOptions<S extends boolean> extends BaseChatEngineOptions<S> {
  /** A system message sent first on every call (never dropped by the memory's token limit). */
  systemPrompt?: string;
}

/**
 * Chat with the LLM alone, no documents: the system prompt, the conversation, one LLM call (streamed when
 * streaming).
 *
 * @example
 * ```ts
 * const engine = new SimpleChatEngine({ llm, streaming: true, systemPrompt: "Answer in one sentence." });
 * await (await engine.chat("Hi! I'm Ada.")).printResponseStream();
 * await (await engine.chat("What is my name?")).printResponseStream();
 * ```
 */
export class SimpleChatEngine<S extends boolean = false> extends BaseChatEngine<S> {
  readonly chatMode = "simple" as const;
  readonly systemPrompt: string;

  constructor(options: SimpleChatEngineOptions<S> = {}) {
    super(options);
    this.systemPrompt = checkSystemPrompt(options.systemPrompt);
    this.checkStreamingAtConstruction();
  }

  protected async plan(ctx: ChatPlanContext): Promise<ChatFinalStep> {
    const history = ctx.history(systemTokens(ctx, this.systemPrompt));
    return { kind: "llm", messages: withSystem(this.systemPrompt, history), sourceNodes: [] };
  }
}

/** Checks an optional system prompt; returns it, or `""`. */
export function checkSystemPrompt(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value !== "string") throw new InvalidArgumentError("systemPrompt", "expected a string.");
  return value;
}
