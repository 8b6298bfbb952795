import type { ChatMemoryBuffer } from "../memory/chat-memory-buffer.js";

/**
 * The server's conversations: one memory per conversation id, at most `limit` of them. Beyond it the least
 * recently used conversation with no answer in progress is forgotten.
 *
 * @deprecated The server keeps its conversations in a `ChatStore` now: use `InMemoryChatStore` (the default) or
 * `PgChatStore`, passed as `chatStore`.
 */
export class ConversationStore {
  private readonly memories = new Map<string, ChatMemoryBuffer>();

  constructor(
    readonly limit: number,
    private readonly create: (conversationId: string) => ChatMemoryBuffer,
  ) {}

  /** Conversations remembered now. */
  get size(): number {
    return this.memories.size;
  }

  /** The memory of `conversationId` (made if new, then `created` is true), now the most recently used. */
  get(conversationId: string): { memory: ChatMemoryBuffer; created: boolean } {
    const known = this.memories.get(conversationId);
    if (known) {
      this.memories.delete(conversationId);
      this.memories.set(conversationId, known);
      return { memory: known, created: false };
    }
    const memory = this.create(conversationId);
    this.memories.set(conversationId, memory);
    if (this.memories.size > this.limit) this.evict(conversationId);
    return { memory, created: true };
  }

  private evict(keep: string): void {
    let victim: string | undefined;
    for (const [id, memory] of this.memories) {
      if (id === keep) continue;
      victim ??= id;
      if (!memory.busy) {
        victim = id;
        break;
      }
    }
    if (victim !== undefined) this.memories.delete(victim);
  }
}
