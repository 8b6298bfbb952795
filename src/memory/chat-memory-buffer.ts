import { InvalidArgumentError } from "../errors/index.js";
import type { ChatMessage } from "../llms/types.js";
import { Settings } from "../settings/settings.js";
import type { Tokenizer } from "../utils/tokenizer.js";
import { describe, optionalInteger } from "../utils/validate.js";
import { type ChatTurn, renderTurn } from "./chat-turn.js";
import { type ChatMemoryJSON, parseChatMemoryJSON } from "./memory-json.js";
import { PendingTurn } from "./pending-turn.js";

/** Token limit when neither the buffer nor the engine reading it gives one (LlamaIndex's default). */
export const DEFAULT_CHAT_TOKEN_LIMIT = 3000;

/** Tokens counted per message on top of its content (role and separators), as chat APIs bill them. */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/** Options of {@link ChatMemoryBuffer}. */
export interface ChatMemoryBufferOptions {
  /**
   * Tokens the prompt's history may use, counting what the engine puts around it (system prompt, retrieved
   * context). Default: the reading engine's `floor(contextWindow * 0.75)`, else 3000.
   */
  tokenLimit?: number;
  /** Counts the tokens. Default: the reading engine's LLM tokenizer (`llm.getTokenizer()`), else `Settings.tokenizer`. */
  tokenizer?: Tokenizer;
  /** Messages to start with, oldest first. */
  messages?: ChatTurn[];
  /** Most messages kept in storage; beyond it the oldest non-system ones are deleted. Default: no cap. */
  maxMessages?: number;
}

/** Options of {@link ChatMemoryBuffer.get}. */
export interface ChatMemoryGetOptions {
  /** Tokens the rest of the prompt already uses (system prompt, retrieved context); taken off the limit. */
  initialTokenCount?: number;
  /** The limit to use when the buffer has none of its own (engines pass their LLM's). */
  tokenLimit?: number;
  /** The tokenizer to use when the buffer has none of its own (engines pass their LLM's). */
  tokenizer?: Tokenizer;
}

/**
 * The messages of one conversation. It stores every turn ({@link ChatMemoryBuffer.getAll}) and hands the LLM
 * the most recent ones that fit a token limit ({@link ChatMemoryBuffer.get}): the oldest turns are dropped
 * first, system messages are always kept, the newest message is always kept, and the history never starts
 * with an assistant turn.
 *
 * Chat engines write the user's turn when the message is sent and the assistant's when the answer ends, also
 * when it fails or is cancelled: then with the partial text and `interrupted: true` (shown to the LLM with
 * {@link INTERRUPTED_NOTE}). A newer message on a memory whose previous answer is still streaming interrupts
 * that answer first, so turns never interleave. One memory per conversation; never share one between two.
 *
 * @example
 * ```ts
 * const memory = new ChatMemoryBuffer({ tokenLimit: 2000 });
 * const engine = index.asChatEngine({ chatMode: "context", streaming: true, memory });
 * await (await engine.chat("Who is the author?")).printResponseStream();
 * await writeFile("chat.json", JSON.stringify(memory)); // later: ChatMemoryBuffer.fromJSON(await readFile(...))
 * ```
 */
export class ChatMemoryBuffer {
  readonly tokenLimit: number | undefined;
  readonly maxMessages: number | undefined;
  readonly tokenizer: Tokenizer | undefined;
  private turns: ChatTurn[] = [];
  private pending: PendingTurn | undefined;

  constructor(options: ChatMemoryBufferOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new InvalidArgumentError("options", `expected an object, got ${describe(options)}.`);
    }
    this.tokenLimit = optionalLimit("tokenLimit", options.tokenLimit);
    this.maxMessages = optionalLimit("maxMessages", options.maxMessages);
    if (options.tokenizer !== undefined && typeof options.tokenizer?.countTokens !== "function") {
      throw new InvalidArgumentError("tokenizer", "expected an object with countTokens(text).");
    }
    this.tokenizer = options.tokenizer;
    if (options.messages !== undefined) this.set(options.messages);
  }

  /** Rebuilds a memory from {@link ChatMemoryBuffer.toJSON}'s output (the object or its JSON text). */
  static fromJSON(json: unknown, options: Pick<ChatMemoryBufferOptions, "tokenizer"> = {}): ChatMemoryBuffer {
    const data = parseChatMemoryJSON(json);
    return new ChatMemoryBuffer({ ...data, tokenizer: options.tokenizer });
  }

  /** Number of stored messages. */
  get size(): number {
    return this.turns.length;
  }

  /** Whether an answer is in progress (its user turn written, its assistant turn not yet). */
  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** Appends one message (checked). */
  put(turn: ChatTurn): void {
    this.turns.push(checkTurn(turn, "turn"));
    this.applyCap();
  }

  /** Replaces every stored message. */
  set(turns: ChatTurn[]): void {
    if (!Array.isArray(turns)) {
      throw new InvalidArgumentError("messages", `expected an array of messages, got ${describe(turns)}.`);
    }
    this.turns = turns.map((t, i) => checkTurn(t, `messages[${i}]`));
    this.applyCap();
  }

  /** Every stored message, oldest first, with `interrupted` flags (copies). */
  getAll(): ChatTurn[] {
    return this.turns.map((t) => ({ ...t }));
  }

  /**
   * The messages to send the LLM: system messages, then the newest turns that fit `tokenLimit -
   * initialTokenCount` (each message counts its tokens plus {@link MESSAGE_OVERHEAD_TOKENS}). The newest message
   * is kept even if it alone is over the limit. Interrupted turns are rendered with {@link INTERRUPTED_NOTE}.
   */
  get(options: ChatMemoryGetOptions = {}): ChatMessage[] {
    const tokenizer = this.tokenizer ?? options.tokenizer ?? Settings.tokenizer;
    const limit = this.tokenLimit ?? options.tokenLimit ?? DEFAULT_CHAT_TOKEN_LIMIT;
    const count = (m: ChatMessage) => tokenizer.countTokens(m.content) + MESSAGE_OVERHEAD_TOKENS;
    const rendered = this.turns.map(renderTurn);
    const system = rendered.filter((m) => m.role === "system");
    const rest = rendered.filter((m) => m.role !== "system");
    let budget = limit - (options.initialTokenCount ?? 0);
    for (const m of system) budget -= count(m);
    let start = rest.length;
    while (start > 0) {
      const cost = count(rest[start - 1]!);
      if (cost > budget && start < rest.length) break;
      budget -= cost;
      start--;
    }
    // A history that opens with the assistant's half of a dropped exchange confuses models: drop it too.
    while (start < rest.length - 1 && rest[start]!.role === "assistant") start++;
    return [...system, ...rest.slice(start)];
  }

  /**
   * Starts an exchange: writes the user's message now and returns the {@link PendingTurn} that writes the
   * assistant's answer. If a previous answer on this memory is still in progress, it is recorded as interrupted
   * (with its partial text) and stopped first.
   */
  startTurn(message: string): PendingTurn {
    if (typeof message !== "string") {
      throw new InvalidArgumentError("message", `expected a string, got ${describe(message)}.`);
    }
    this.pending?.supersede();
    this.put({ role: "user", content: message });
    const turn = new PendingTurn(
      (t) => this.put(t),
      (t) => {
        if (this.pending === t) this.pending = undefined;
      },
    );
    this.pending = turn;
    return turn;
  }

  /** Deletes every message. An answer in progress is no longer recorded. */
  reset(): void {
    this.pending?.discard();
    this.pending = undefined;
    this.turns = [];
  }

  /** The serialisable form: `JSON.stringify(memory)` works too. Restore with {@link ChatMemoryBuffer.fromJSON}. */
  toJSON(): ChatMemoryJSON {
    return {
      version: 1,
      ...(this.tokenLimit === undefined ? {} : { tokenLimit: this.tokenLimit }),
      ...(this.maxMessages === undefined ? {} : { maxMessages: this.maxMessages }),
      messages: this.getAll(),
    };
  }

  private applyCap(): void {
    const cap = this.maxMessages;
    if (cap === undefined) return;
    let excess = this.turns.filter((t) => t.role !== "system").length - cap;
    if (excess <= 0) return;
    this.turns = this.turns.filter((t) => t.role === "system" || excess-- <= 0);
  }
}

function optionalLimit(name: string, value: unknown): number | undefined {
  return value === undefined ? undefined : optionalInteger(name, value, 1, 1);
}

function checkTurn(turn: unknown, name: string): ChatTurn {
  if (typeof turn !== "object" || turn === null) {
    throw new InvalidArgumentError(name, `expected { role, content }, got ${describe(turn)}.`);
  }
  const { role, content, interrupted } = turn as Record<string, unknown>;
  if (role !== "system" && role !== "user" && role !== "assistant") {
    throw new InvalidArgumentError(
      `${name}.role`,
      `expected "system", "user" or "assistant", got ${describe(role)}.`,
    );
  }
  if (typeof content !== "string") {
    throw new InvalidArgumentError(`${name}.content`, `expected a string, got ${describe(content)}.`);
  }
  if (interrupted !== undefined && typeof interrupted !== "boolean") {
    throw new InvalidArgumentError(
      `${name}.interrupted`,
      `expected true or false, got ${describe(interrupted)}.`,
    );
  }
  return interrupted ? { role, content, interrupted: true } : { role, content };
}
