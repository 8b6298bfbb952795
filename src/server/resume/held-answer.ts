import { AbortError } from "../../errors/index.js";
import type { StreamFormat } from "../answer.js";
import type { ReplyStream } from "../reply.js";
import { type ReplayBuffer, splitEvents } from "./replay-buffer.js";

/** Readers of one answer at once; a newer one cuts the oldest off (most likely a connection that died unseen). */
export const MAX_READERS_PER_ANSWER = 4;

/** What {@link HeldAnswer} needs. */
export interface HeldAnswerOptions {
  /** The answer's id (random, 128 bits). */
  id: string;
  /** The chat it answers, for `/api/chat/:chatId/stream` and `/stop`. */
  chatId: string | undefined;
  format: StreamFormat;
  /** The answer's own stream (from `answer()`). */
  source: ReplyStream;
  buffer: ReplayBuffer;
  /** Aborts the answer's signal (the one `run` was given), with the reason. */
  abort(reason: AbortError): void;
  /** `resumeWindowMs`: 0 aborts the answer as soon as its last reader leaves. */
  windowMs: number;
  /** Called once, when the source has ended (done, failed or stopped). */
  onEnd(answer: HeldAnswer): void;
}

interface Reader {
  /** The id of the last event handed to this reader. */
  cursor: number;
  gone: boolean;
  wake?: () => void;
}

/**
 * A streamed answer decoupled from the connection that asked for it: its events go into a {@link ReplayBuffer}
 * and any number of readers (the first client, then clients resuming) read them from an event id on. While
 * someone reads, the answer is pulled as fast as the fastest reader asks (the stream stays pull-based); when the
 * last reader leaves a running answer it is pulled on by itself, into the buffer, for `windowMs`, then aborted
 * unless a reader came back. An answer that can no longer be resumed (over a cap) is aborted as soon as nobody
 * reads it.
 */
export class HeldAnswer {
  readonly id: string;
  readonly chatId: string | undefined;
  readonly format: StreamFormat;
  private readonly buffer: ReplayBuffer;
  private readonly windowMs: number;
  private readonly onEnd: (answer: HeldAnswer) => void;
  /** The running answer: let go of at its end (they hold the engine's state and the request's closures). */
  private source: ReplyStream | undefined;
  private iterator: AsyncIterator<string> | undefined;
  private abortAnswer: ((reason: AbortError) => void) | undefined;
  private readonly readers = new Set<Reader>();
  private waiters = new Set<() => void>();
  private pulling: Promise<void> | undefined;
  private windowTimer: NodeJS.Timeout | undefined;
  private ended = false;
  private stopReason: AbortError | undefined;
  private retired = false;
  private first = true;
  /** Whether a reader read the answer through to its end. */
  private deliveredFlag = false;

  constructor(options: HeldAnswerOptions) {
    this.buffer = options.buffer;
    this.windowMs = options.windowMs;
    this.onEnd = options.onEnd;
    this.source = options.source;
    this.abortAnswer = options.abort;
    this.id = options.id;
    this.chatId = options.chatId;
    this.format = options.format;
    this.iterator = options.source.chunks[Symbol.asyncIterator]();
    // The answer's id in the first event too (for clients that cannot read headers, e.g. without CORS exposure).
    if (options.format === "sse") {
      options.buffer.append(`event: answer\ndata: ${JSON.stringify({ answerId: options.id })}\n\n`);
    }
  }

  /** The id of the last event so far. */
  get lastId(): number {
    return this.buffer.lastId;
  }

  /** Whether the model is still answering. */
  get running(): boolean {
    return !this.ended;
  }

  /** Whether it is running, or ended without any reader reading it to the end (so a client still lacks it). */
  get pending(): boolean {
    return !this.ended || !this.deliveredFlag;
  }

  /** Whether every event is held, so a resume from any id can be served. */
  get resumable(): boolean {
    return this.buffer.resumable;
  }

  /** Readers now. */
  get readerCount(): number {
    return this.readers.size;
  }

  /** Bytes held for replay. */
  get bytes(): number {
    return this.buffer.bytes;
  }

  /**
   * A new reader: the events after `afterId` (0: all), then the live tail as the answer goes on. Its `cancel()`
   * only detaches it; the answer goes on for the window if it was the last.
   */
  open(afterId: number): ReplyStream {
    if (this.readers.size >= MAX_READERS_PER_ANSWER) {
      const oldest = this.readers.values().next().value;
      if (oldest) this.leave(oldest);
    }
    const reader: Reader = { cursor: afterId, gone: false };
    this.readers.add(reader);
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    return { chunks: this.read(reader), cancel: async () => this.leave(reader) };
  }

  /** Aborts the model request (the readers get the `cancelled` or `abort` end). `false` when not running. */
  stop(reason: AbortError): boolean {
    if (this.ended || this.stopReason) return false;
    this.stopReason = reason;
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    // Cancel first (readers get `cancelled`, not an error), then abort what the signal reaches (e.g. an earlier call).
    this.source?.cancel().catch(() => {});
    this.abortAnswer?.(reason);
    if (this.readers.size === 0) void this.drive();
    return true;
  }

  /** No longer offered for resuming: its buffer is freed once its last reader leaves. */
  retire(): void {
    this.retired = true;
    if (this.readers.size === 0) this.buffer.release();
  }

  private async *read(reader: Reader): AsyncGenerator<string> {
    const { buffer } = this;
    try {
      while (!reader.gone) {
        if (reader.cursor < buffer.lastId) {
          const text = buffer.get(reader.cursor + 1);
          if (text === undefined) return; // fell more than the cap behind a non-resumable answer: cut off
          reader.cursor++;
          this.trim();
          yield text;
          continue;
        }
        if (this.ended) {
          this.deliveredFlag = true;
          return;
        }
        void this.pull();
        await new Promise<void>((resolve) => {
          reader.wake = resolve;
          this.waiters.add(resolve);
        });
      }
    } finally {
      this.leave(reader);
    }
  }

  /** Pulls one chunk of the source (or joins the pull in progress). Never rejects. */
  private pull(): Promise<void> {
    const iterator = this.iterator;
    if (!iterator) return Promise.resolve();
    this.pulling ??= iterator
      .next()
      .then(
        (result) => {
          if (result.done) this.end();
          else this.append(result.value);
        },
        () => this.end(),
      )
      .finally(() => {
        this.pulling = undefined;
        this.wake();
      });
    return this.pulling;
  }

  /** Pulls on while nobody reads: the answer keeps going (into the buffer) during the window, or drains after a stop. */
  private async drive(): Promise<void> {
    while (!this.ended && this.readers.size === 0) await this.pull();
  }

  private append(chunk: string): void {
    const { buffer } = this;
    for (let event of splitEvents(chunk)) {
      if (this.first && this.format === "ui-message-stream") event = withAnswerId(event, this.id);
      this.first = false;
      buffer.append(event);
    }
    if (buffer.resumable) return;
    this.trim();
    if (this.readers.size === 0) {
      this.stop(new AbortError("The answer outgrew its replay buffer while nobody read it."));
    }
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    this.source = undefined;
    this.iterator = undefined;
    this.abortAnswer = undefined;
    this.onEnd(this);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const resolve of waiters) resolve();
  }

  /** Once not resumable, drops what every reader has read. */
  private trim(): void {
    const { buffer } = this;
    if (buffer.resumable) return;
    let min = buffer.lastId;
    for (const r of this.readers) min = Math.min(min, r.cursor);
    buffer.trimThrough(min);
  }

  private leave(reader: Reader): void {
    if (!this.readers.delete(reader)) return;
    reader.gone = true;
    reader.wake?.();
    this.trim();
    if (this.readers.size > 0) return;
    if (this.retired) this.buffer.release();
    if (this.ended) return;
    if (this.stopReason) {
      void this.drive(); // drain to the end
      return;
    }
    const { windowMs } = this;
    if (windowMs === 0 || !this.resumable || this.retired) {
      this.stop(new AbortError("The client went away."));
      return;
    }
    this.windowTimer = setTimeout(
      () => this.stop(new AbortError(`Nobody resumed the answer within ${windowMs} ms.`)),
      windowMs,
    );
    this.windowTimer.unref();
    void this.drive();
  }
}

/** The UI message stream's `start` chunk with the answer id in its `messageMetadata` (other events unchanged). */
function withAnswerId(event: string, answerId: string): string {
  if (!event.startsWith('data: {"type":"start"')) return event;
  const chunk = JSON.parse(event.slice("data: ".length)) as Record<string, unknown>;
  const metadata = chunk.messageMetadata;
  const merged = typeof metadata === "object" && metadata !== null ? { ...metadata, answerId } : { answerId };
  return `data: ${JSON.stringify({ ...chunk, messageMetadata: merged })}\n\n`;
}
