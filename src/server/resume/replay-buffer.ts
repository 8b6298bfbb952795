/** What one held event costs beyond its text (the array slot and the string's header, on 64-bit V8). */
export const EVENT_OVERHEAD_BYTES = 32;

/** The bytes one event costs in a replay buffer: its UTF-8 size (as sent) plus {@link EVENT_OVERHEAD_BYTES}. */
export function eventBytes(text: string): number {
  return Buffer.byteLength(text) + EVENT_OVERHEAD_BYTES;
}

/**
 * The bytes all replay buffers of one server may hold. When an answer asks for more than is left, `reclaim` is
 * asked to free ended answers first (oldest first).
 */
export class ReplayBudget {
  private used = 0;

  constructor(
    readonly limit: number,
    private readonly reclaim: (bytes: number) => void,
  ) {}

  /** Bytes held now, across answers. */
  get bytes(): number {
    return this.used;
  }

  /** Takes `bytes` if they fit (after reclaiming); `false` when they do not. */
  take(bytes: number): boolean {
    if (this.used + bytes > this.limit) this.reclaim(this.used + bytes - this.limit);
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  /** Gives back bytes taken. */
  give(bytes: number): void {
    this.used -= bytes;
  }
}

/**
 * One answer's events, numbered 1, 2, 3… in order (`id: n` is prepended to each). While it is *resumable* it holds
 * every event since the first, within `maxBytes` and the shared {@link ReplayBudget}; the first event that does not
 * fit makes it give up for good: its bytes go back to the budget, and from then on it holds only the events some
 * reader still needs ({@link ReplayBuffer.trimThrough}), at most `maxBytes` of them.
 */
export class ReplayBuffer {
  /** Held events: `events[i]` has id `firstId + i`. */
  private events: string[] = [];
  private firstId = 1;
  private last = 0;
  /** Bytes taken from the budget (while resumable). */
  private held = 0;
  /** Bytes of the held events once not resumable (not taken from the budget). */
  private tail = 0;
  private complete = true;
  private released = false;

  constructor(
    private readonly maxBytes: number,
    private readonly budget: ReplayBudget,
  ) {}

  /** The id of the last event appended (0 before the first). */
  get lastId(): number {
    return this.last;
  }

  /** Bytes taken from the budget. */
  get bytes(): number {
    return this.held;
  }

  /** Whether every event since the first is held, so a resume from any id can be served. */
  get resumable(): boolean {
    return this.complete;
  }

  /** Appends one event (its text without `id:`), numbered next. */
  append(event: string): void {
    const id = ++this.last;
    const text = `id: ${id}\n${event}`;
    const size = eventBytes(text);
    if (this.complete && !this.released) {
      if (this.held + size <= this.maxBytes && this.budget.take(size)) this.held += size;
      else this.giveUp();
    }
    if (this.released) {
      this.firstId = id + 1;
      return;
    }
    this.events.push(text);
    if (!this.complete) this.tail += size;
  }

  /** The event `id`, with its `id:` line; `undefined` when not appended yet or no longer held. */
  get(id: number): string | undefined {
    return id >= this.firstId ? this.events[id - this.firstId] : undefined;
  }

  /**
   * Once not resumable: drops the events up to `id` (every reader has read them), then the oldest beyond
   * `maxBytes`: a reader that fell that far behind is cut off when it asks for them.
   */
  trimThrough(id: number): void {
    if (this.complete) return;
    while (this.firstId <= id && this.events.length > 0) this.dropOldest();
    while (this.tail > this.maxBytes && this.events.length > 1) this.dropOldest();
  }

  /** Frees every event and gives the bytes back; nothing more is held. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.give(this.held);
    this.held = 0;
    this.tail = 0;
    this.firstId = this.last + 1;
    this.events = [];
  }

  private giveUp(): void {
    this.complete = false;
    this.budget.give(this.held);
    this.held = 0;
    this.tail = 0;
    for (const text of this.events) this.tail += eventBytes(text);
  }

  private dropOldest(): void {
    const text = this.events.shift();
    if (text === undefined) return;
    this.firstId++;
    this.tail -= eventBytes(text);
  }
}

/**
 * The server-sent events in one chunk of an answer stream (one chunk may hold several, e.g. `usage` and `done`),
 * each with its closing blank line. The server's own events never hold a blank line inside (their data is one line
 * of JSON).
 */
export function splitEvents(chunk: string): string[] {
  const events: string[] = [];
  let start = 0;
  for (let end = chunk.indexOf("\n\n"); end !== -1; end = chunk.indexOf("\n\n", start)) {
    events.push(chunk.slice(start, end + 2));
    start = end + 2;
  }
  if (start < chunk.length) events.push(`${chunk.slice(start)}\n\n`);
  return events;
}
