import { randomBytes } from "node:crypto";
import { AbortError } from "../../errors/index.js";
import { onAbort } from "../../utils/abort.js";
import type { StreamFormat } from "../answer.js";
import type { CoreReply, ReplyStream } from "../reply.js";
import { HeldAnswer } from "./held-answer.js";
import { ReplayBudget, ReplayBuffer } from "./replay-buffer.js";
import type { ResolvedResumeOptions } from "./resume-options.js";

/** The response header naming a streamed answer (for `GET /api/answers/:answerId`). */
export const ANSWER_ID_HEADER = "x-answer-id";

/** An answer id: 16 random bytes, base64url (22 characters): as unguessable as a bearer token. */
export const ANSWER_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** What {@link AnswerRegistry.hold} needs besides the reply. */
export interface HoldOptions {
  format: StreamFormat;
  /** The chat the answer belongs to (`/api/chat`), if any. */
  chatId?: string;
  /** Aborts the signal the answer's `run` was given. */
  abort(reason: AbortError): void;
  /** The asking client's connection: aborts when it goes away. */
  signal: AbortSignal;
}

/**
 * The streamed answers of one server, held for resuming: by answer id (`GET /api/answers/:answerId`), and the
 * latest of each chat (`GET /api/chat/:chatId/stream`, `POST /api/chat/:chatId/stop`). An answer stays for
 * `replayTtlMs` after it ends (no longer if it outgrew its buffer); the oldest ended ones go first when the total
 * cap is reached. Per process: another server process knows none of them.
 */
export class AnswerRegistry {
  private readonly answers = new Map<string, HeldAnswer>();
  /** Chat ids this process answered (least recently used first), each with the id of its latest answer. */
  private readonly chats = new Map<string, string | undefined>();
  private readonly expiries = new Map<string, NodeJS.Timeout>();
  private readonly budget: ReplayBudget;
  private shut = false;

  constructor(
    private readonly options: ResolvedResumeOptions,
    private readonly maxChats: number,
  ) {
    this.budget = new ReplayBudget(options.maxReplayBytes, (bytes) => this.reclaim(bytes));
    const { signal } = options;
    onAbort(signal, () => this.close());
  }

  /** Answers held now (running or ended within their time to live). */
  get size(): number {
    return this.answers.size;
  }

  /** Bytes of events held for replay, across answers. */
  get bytes(): number {
    return this.budget.bytes;
  }

  /** Whether the server is shutting down (then answers are not held, and end with their client). */
  get closed(): boolean {
    return this.shut;
  }

  /** Remembers that `chatId` is a chat of this process (its resume is 204 rather than 404 when nothing runs). */
  noteChat(chatId: string): void {
    if (this.shut) return;
    const latest = this.chats.get(chatId);
    this.chats.delete(chatId);
    this.chats.set(chatId, latest);
    if (this.chats.size > this.maxChats) this.chats.delete(this.chats.keys().next().value!);
  }

  /**
   * Holds a streamed reply and returns the reply for the client that asked: the same stream read from the answer's
   * buffer, with every event numbered and the `x-answer-id` header. Its connection going away detaches it; a client
   * that left before this (before the headers) aborts the answer at once, as it never learnt its id.
   */
  hold(
    reply: { status: number; headers: Record<string, string>; stream: ReplyStream },
    hold: HoldOptions,
  ): CoreReply {
    const id = randomBytes(16).toString("base64url");
    const answer = new HeldAnswer({
      id,
      chatId: hold.chatId,
      format: hold.format,
      source: reply.stream,
      buffer: new ReplayBuffer(this.options.maxReplayBytesPerAnswer, this.budget),
      abort: hold.abort,
      windowMs: this.shut ? 0 : this.options.resumeWindowMs,
      onEnd: (a) => this.ended(a),
    });
    if (!this.shut) {
      this.answers.set(id, answer);
      if (hold.chatId !== undefined) {
        this.noteChat(hold.chatId);
        this.chats.set(hold.chatId, id);
      }
    }
    const stream = answer.open(0);
    follow(hold.signal, stream, () => answer.stop(new AbortError("The client closed the connection.")));
    return { ...reply, headers: { ...reply.headers, [ANSWER_ID_HEADER]: id }, stream };
  }

  /** The answer `answerId`, while held. */
  get(answerId: string): HeldAnswer | undefined {
    return this.answers.get(answerId);
  }

  /** Whether `chatId` is a chat of this process, and its latest answer while held. */
  chat(chatId: string): { known: boolean; answer: HeldAnswer | undefined } {
    if (!this.chats.has(chatId)) return { known: false, answer: undefined };
    const latest = this.chats.get(chatId);
    return { known: true, answer: latest === undefined ? undefined : this.answers.get(latest) };
  }

  /** Shutdown: aborts every running answer and frees every buffer; later answers are not held. */
  close(): void {
    if (this.shut) return;
    this.shut = true;
    const reason = new AbortError("The server is shutting down.");
    for (const answer of [...this.answers.values()]) {
      answer.stop(reason);
      this.remove(answer.id);
    }
    this.chats.clear();
  }

  private ended(answer: HeldAnswer): void {
    if (this.answers.get(answer.id) !== answer) {
      answer.retire();
      return;
    }
    if (!answer.resumable || this.options.replayTtlMs === 0) {
      this.remove(answer.id);
      return;
    }
    const timer = setTimeout(() => this.remove(answer.id), this.options.replayTtlMs);
    timer.unref();
    this.expiries.set(answer.id, timer);
  }

  private remove(id: string): void {
    const answer = this.answers.get(id);
    if (!answer) return;
    this.answers.delete(id);
    clearTimeout(this.expiries.get(id));
    this.expiries.delete(id);
    answer.retire();
  }

  /** Frees at least `bytes` if it can, dropping ended answers nobody reads, oldest first. */
  private reclaim(bytes: number): void {
    let freed = 0;
    for (const answer of [...this.answers.values()]) {
      if (freed >= bytes) return;
      if (answer.running || answer.readerCount > 0) continue;
      freed += answer.bytes;
      this.remove(answer.id);
    }
  }
}

/**
 * Detaches `stream` when the client's `signal` aborts. Already aborted (the client left before the reply was
 * made): `gone()` first, as that client never learnt the answer's id.
 */
export function follow(signal: AbortSignal, stream: ReplyStream, gone?: () => void): void {
  if (signal.aborted) gone?.();
  onAbort(signal, () => void stream.cancel());
}
