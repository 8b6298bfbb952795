import { InvalidArgumentError } from "../../errors/index.js";
import { optionalInteger } from "../../utils/validate.js";
import { ChatMemoryBuffer } from "../chat-memory-buffer.js";
import type { ChatTurn } from "../chat-turn.js";
import { checkConversationId, checkRoom, type ResolvedLimits, resolveLimits, turnBytes } from "./limits.js";
import type { ChatOpenOptions, ChatSession, ChatStore, ChatStoreLimits } from "./types.js";

/** Options of {@link InMemoryChatStore}. */
export interface InMemoryChatStoreOptions extends ChatStoreLimits {
  /** Conversations remembered at once; beyond it the least recently used is forgotten (default 1000). */
  maxConversations?: number;
  /** Makes the memory of a new conversation (default: `new ChatMemoryBuffer({ maxMessages: 500 })`). */
  createMemory?: (conversationId: string) => ChatMemoryBuffer;
}

interface Entry {
  memory: ChatMemoryBuffer;
  usedAt: number;
}

/**
 * The server's default {@link ChatStore}: one live memory per conversation id in this process, at most
 * `maxConversations` of them (beyond it the least recently used with no answer in progress is forgotten), each
 * forgotten once unused for `ttlMs` (checked lazily, when a conversation is opened: no timer runs). A newer message
 * on a conversation still answering interrupts that answer, as {@link ChatMemoryBuffer} does.
 *
 * @example
 * ```ts
 * const chatStore = new InMemoryChatStore({ maxConversations: 200, ttlMs: 60 * 60 * 1000, maxTurns: 100 });
 * const handler = createRequestHandler({ createEngine, createChatEngine, chatStore });
 * ```
 */
export class InMemoryChatStore implements ChatStore {
  readonly maxConversations: number;
  readonly limits: ResolvedLimits;
  private readonly create: (conversationId: string) => ChatMemoryBuffer;
  /** Least recently used first. */
  private readonly entries = new Map<string, Entry>();

  constructor(options: InMemoryChatStoreOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new InvalidArgumentError(
        "options",
        "expected { maxConversations?, createMemory?, ttlMs?, ... }.",
      );
    }
    this.maxConversations = optionalInteger("maxConversations", options.maxConversations, 1, 1000);
    this.limits = resolveLimits(options);
    if (options.createMemory !== undefined && typeof options.createMemory !== "function") {
      throw new InvalidArgumentError(
        "createMemory",
        "expected a function (conversationId) => ChatMemoryBuffer.",
      );
    }
    this.create = options.createMemory ?? (() => new ChatMemoryBuffer({ maxMessages: 500 }));
  }

  /** Conversations remembered now. */
  get size(): number {
    return this.entries.size;
  }

  async open(conversationId: string, options: ChatOpenOptions): Promise<ChatSession> {
    checkConversationId(conversationId);
    const now = Date.now();
    this.sweep(now);
    let entry = this.entries.get(conversationId);
    const created = entry === undefined;
    if (entry === undefined) {
      const memory = this.create(conversationId);
      if (options.seed !== undefined && options.seed.length > 0) memory.set(options.seed);
      const turns = memory.getAll();
      checkRoom(this.limits, turns.length, turnBytes(turns), options.message);
      entry = { memory, usedAt: now };
      this.entries.set(conversationId, entry);
      if (this.entries.size > this.maxConversations) this.evict(conversationId);
    } else {
      const turns = entry.memory.getAll();
      checkRoom(this.limits, turns.length, turnBytes(turns), options.message);
      this.entries.delete(conversationId);
      this.entries.set(conversationId, entry);
      entry.usedAt = now;
    }
    const open = entry;
    let ended: Promise<void> | undefined;
    return {
      memory: open.memory,
      created,
      end: () => {
        ended ??= Promise.resolve().then(() => {
          open.usedAt = Date.now();
        });
        return ended;
      },
    };
  }

  async getTurns(conversationId: string): Promise<ChatTurn[] | undefined> {
    const entry = this.entries.get(conversationId);
    if (entry === undefined || this.expired(entry, Date.now())) return undefined;
    return entry.memory.getAll();
  }

  async delete(conversationId: string): Promise<void> {
    this.entries.get(conversationId)?.memory.reset();
    this.entries.delete(conversationId);
  }

  async close(): Promise<void> {}

  private expired(entry: Entry, now: number): boolean {
    return now - entry.usedAt >= this.limits.ttlMs && !entry.memory.busy;
  }

  /** Forgets the expired conversations: the oldest come first, so this stops at the first one still fresh. */
  private sweep(now: number): void {
    for (const [id, entry] of this.entries) {
      if (now - entry.usedAt < this.limits.ttlMs) break;
      if (!entry.memory.busy) this.entries.delete(id);
    }
  }

  private evict(keep: string): void {
    let victim: string | undefined;
    for (const [id, entry] of this.entries) {
      if (id === keep) continue;
      victim ??= id;
      if (!entry.memory.busy) {
        victim = id;
        break;
      }
    }
    if (victim !== undefined) this.entries.delete(victim);
  }
}
