import { DONE } from "./iteration-done.js";

/** The reader of a live stream: who holds its one pass, and whether a drain may take that pass over. */
interface Reader {
  /**
   * An iterator the caller holds (`[Symbol.asyncIterator]()`, `responseGen`): while none of its `next()` calls is
   * pending, `getResponse()` or `printResponseStream()` take its place. The library's own consumers are not.
   */
  readonly handOver: boolean;
  /** `next()` calls of this reader not settled yet (counted for hand-over readers only). */
  pending: number;
  /** Set once a drain took its place: its `next()` is `done` and its `return()` does nothing. */
  handedOver: boolean;
}

/**
 * Who reads a `StreamingResponse`'s one pass. {@link attach} gives the pass to a new reader's iterator;
 * {@link takeOver} gives it to a drain in place of a paused hand-over reader (one with no `next()` in flight),
 * which then ends: its next `next()` is done and its `return()` no longer cancels.
 */
export class ReaderSlot {
  private reader: Reader | undefined;

  /**
   * @param stop cancels the stream (what a reader's `return()` does).
   * @param consumed the error for a reader refused because another one holds the pass.
   */
  constructor(
    private readonly stop: () => Promise<unknown>,
    private readonly consumed: () => Error,
  ) {}

  /** An iterator over `read` that now holds the pass; `handOver`: one a drain may take over while it is paused. */
  attach<T>(handOver: boolean, read: () => Promise<IteratorResult<T>>): AsyncIterator<T> {
    const reader: Reader = { handOver, pending: 0, handedOver: false };
    this.reader = reader;
    const stop = () => this.stop().then(() => DONE);
    if (!handOver) return { next: read, return: stop };
    const settledRead = <V>(value: V): V => {
      reader.pending--;
      return value;
    };
    const failedRead = (error: unknown): never => {
      reader.pending--;
      throw error;
    };
    return {
      next: () => {
        if (reader.handedOver) return Promise.resolve(DONE);
        reader.pending++;
        return read().then(settledRead, failedRead);
      },
      return: () => (reader.handedOver ? Promise.resolve(DONE) : stop()),
    };
  }

  /**
   * Takes the place of the current reader, reading with `read`; throws `consumed()` unless that reader is a
   * paused hand-over one. The new reader may itself be handed over.
   */
  takeOver<T>(read: () => Promise<IteratorResult<T>>, handOver: boolean): AsyncIterator<T> {
    const current = this.reader;
    if (!current?.handOver || current.pending > 0) throw this.consumed();
    current.handedOver = true;
    return this.attach(handOver, read);
  }
}
