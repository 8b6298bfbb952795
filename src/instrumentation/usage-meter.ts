import type { EmbeddingUsage } from "../embeddings/base-embedding.js";
import { estimateUsage } from "../llms/estimate-usage.js";
import type { TokenUsage } from "../llms/types.js";
import { addUsage } from "../schema/response.js";
import type { Tokenizer } from "../utils/tokenizer.js";

/** What a finished (not streamed) LLM call gives the meter. */
export interface MeteredCall {
  /** The prompt sent (counted when the provider reported no usage). */
  prompt: string;
  text: string;
  reasoning?: string;
  /** The provider's usage, if it reported any. */
  usage?: TokenUsage;
}

/**
 * The token usage of one query (or chat message) as its work reports it: the query embedding and every LLM call
 * made before the answer's own (which its `StreamingResponse` adds). Owned by the {@link QueryLifecycle}; the
 * retrieval, the synthesizer and the chat engines add to it.
 *
 * - `embeddingTokens` are kept apart from `totalTokens`, which stays the LLM's (prompt plus completion), as
 *   providers count and price them apart.
 * - A call whose provider reported no usage is counted with the model's tokenizer and flagged `estimated`.
 *
 * @example
 * ```ts
 * const meter = new UsageMeter();
 * meter.addEmbedding({ tokens: 7 });
 * meter.addCall({ prompt, text, usage }, tokenizer);
 * meter.total; // { promptTokens, completionTokens, totalTokens, embeddingTokens: 7 }
 * ```
 */
export class UsageMeter {
  private sum: TokenUsage | undefined;

  /** The usage so far (`undefined` when nothing was counted). */
  get total(): TokenUsage | undefined {
    return this.sum;
  }

  /** Adds a usage as given. */
  add(usage: TokenUsage | undefined): void {
    this.sum = addUsage(this.sum, usage);
  }

  /** Adds a finished LLM call: its own usage, else its prompt and output counted with `tokenizer` (estimated). */
  addCall(call: MeteredCall, tokenizer: Tokenizer): void {
    this.add(call.usage ?? estimateUsage(tokenizer, call.prompt, call.text, call.reasoning));
  }

  /** Adds the tokens of a query embedding. */
  addEmbedding(usage: EmbeddingUsage): void {
    this.add({
      promptTokens: 0,
      completionTokens: 0,
      totalTokens: 0,
      embeddingTokens: usage.tokens,
      ...(usage.estimated ? { estimated: true } : {}),
    });
  }
}
