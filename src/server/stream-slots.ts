/** Counts queries in flight and refuses new ones beyond a limit. */
export class StreamSlots {
  private active = 0;

  constructor(readonly limit: number) {}

  /** Queries in flight now. */
  get inUse(): number {
    return this.active;
  }

  /** Takes a slot: returns its release function (safe to call twice), or `undefined` when all are taken. */
  tryAcquire(): (() => void) | undefined {
    if (this.active >= this.limit) return undefined;
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
    };
  }
}
