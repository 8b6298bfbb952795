import { NotImplementedError } from "../errors/index.js";
import { legacyParts } from "./stream-part.js";
import type {
  ChatMessage,
  ChatResponse,
  CompletionResponse,
  LLM,
  LLMCallOptions,
  LLMMetadata,
  LLMStream,
  LLMStreamPart,
  TokenUsage,
} from "./types.js";

/**
 * Base class for LLMs. A subclass implements at least one of `doComplete`/`doChat` (or a streaming one) and
 * gets the rest:
 * - `complete` from `chat` (the prompt as one user message) and `chat` from `complete` (messages as a prompt);
 * - `streamComplete` from `streamChat` and the reverse;
 * - `complete`/`chat` by draining a stream, when only streaming is implemented.
 *
 * It never fakes streaming: without `doStreamComplete` or `doStreamChat`, {@link BaseLLM.supportsStreaming} is
 * `false` and the streaming methods throw {@link NotImplementedError}.
 *
 * @example
 * ```ts
 * class Echo extends BaseLLM {
 *   metadata = { model: "echo", contextWindow: 4096, numOutput: 256, isChatModel: false };
 *   protected override async doComplete(prompt: string) { return { text: prompt }; }
 * }
 * ```
 */
export abstract class BaseLLM implements LLM {
  abstract readonly metadata: LLMMetadata;

  protected doComplete?(prompt: string, options: LLMCallOptions): Promise<CompletionResponse>;
  protected doChat?(messages: ChatMessage[], options: LLMCallOptions): Promise<ChatResponse>;
  protected doStreamComplete?(prompt: string, options: LLMCallOptions): Promise<LLMStream>;
  protected doStreamChat?(messages: ChatMessage[], options: LLMCallOptions): Promise<LLMStream>;

  get supportsStreaming(): boolean {
    return this.doStreamComplete !== undefined || this.doStreamChat !== undefined;
  }

  async complete(prompt: string, options: LLMCallOptions = {}): Promise<CompletionResponse> {
    if (this.doComplete) return this.doComplete(prompt, options);
    if (this.doChat) {
      const res = await this.doChat([{ role: "user", content: prompt }], options);
      return {
        text: res.message.content,
        reasoning: res.reasoning,
        usage: res.usage,
        finishReason: res.finishReason,
        raw: res.raw,
      };
    }
    if (this.supportsStreaming) return drain(await this.streamComplete(prompt, options));
    throw this.missing("complete");
  }

  async chat(messages: ChatMessage[], options: LLMCallOptions = {}): Promise<ChatResponse> {
    if (this.doChat) return this.doChat(messages, options);
    if (this.doComplete) {
      const res = await this.doComplete(messagesToPrompt(messages), options);
      return {
        message: { role: "assistant", content: res.text },
        reasoning: res.reasoning,
        usage: res.usage,
        finishReason: res.finishReason,
        raw: res.raw,
      };
    }
    if (this.supportsStreaming) {
      const res = await drain(await this.streamChat(messages, options));
      return {
        message: { role: "assistant", content: res.text },
        reasoning: res.reasoning,
        usage: res.usage,
        finishReason: res.finishReason,
      };
    }
    throw this.missing("chat");
  }

  async streamComplete(prompt: string, options: LLMCallOptions = {}): Promise<LLMStream> {
    if (this.doStreamComplete) return this.doStreamComplete(prompt, options);
    if (this.doStreamChat) return this.doStreamChat([{ role: "user", content: prompt }], options);
    throw this.cannotStream();
  }

  async streamChat(messages: ChatMessage[], options: LLMCallOptions = {}): Promise<LLMStream> {
    if (this.doStreamChat) return this.doStreamChat(messages, options);
    if (this.doStreamComplete) return this.doStreamComplete(messagesToPrompt(messages), options);
    throw this.cannotStream();
  }

  private cannotStream(): NotImplementedError {
    return streamingNotSupported(this);
  }

  private missing(method: string): NotImplementedError {
    return new NotImplementedError(
      `${this.constructor.name}.${method}() is not implemented: the class must implement doComplete, doChat, ` +
        "doStreamComplete or doStreamChat.",
    );
  }
}

/** The error a streaming engine throws for an LLM that cannot stream. */
export function streamingNotSupported(llm: LLM): NotImplementedError {
  const name = llm.constructor?.name ?? "this LLM";
  const why = llm.streamingNotSupportedReason ?? "its supportsStreaming is false";
  return new NotImplementedError(
    `${name} does not support streaming (${why}). Use an LLM that streams, or build the engine without ` +
      "`streaming: true`.",
  );
}

/** Throws {@link NotImplementedError} unless `llm` can stream. Costs nothing: no call is made. */
export function assertCanStream(llm: LLM): void {
  if (!llm.supportsStreaming) throw streamingNotSupported(llm);
}

/** Formats chat messages as one prompt, for completion-only models. */
export function messagesToPrompt(messages: ChatMessage[]): string {
  return `${messages.map((m) => `${m.role}: ${m.content}`).join("\n")}\nassistant: `;
}

/**
 * Reads a stream to its end and returns the whole text, the reasoning apart from it, and the last usage and
 * finish reason it carried.
 */
export async function drain(stream: LLMStream): Promise<CompletionResponse> {
  let text = "";
  let reasoning = "";
  let usage: TokenUsage | undefined;
  let finishReason: string | undefined;
  const take = (part: LLMStreamPart): void => {
    switch (part.type) {
      case "text-delta":
        text += part.text;
        break;
      case "reasoning-delta":
        reasoning += part.text;
        break;
      case "finish":
        if (part.usage) usage = part.usage;
        if (part.finishReason) finishReason = part.finishReason;
        break;
      case "raw":
        break;
      default:
        for (const legacy of legacyParts(part)) take(legacy);
    }
  };
  for await (const part of stream) take(part);
  return reasoning === "" ? { text, usage, finishReason } : { text, reasoning, usage, finishReason };
}
