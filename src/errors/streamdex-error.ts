/**
 * Every error streamdex throws extends {@link StreamdexError}, so one `instanceof` check catches them all.
 *
 * @example
 * ```ts
 * try { await engine.query(q); } catch (e) { if (e instanceof StreamdexError) console.error(e.code, e.message); }
 * ```
 */
export class StreamdexError extends Error {
  /** A stable, machine-readable code (e.g. `"invalid_argument"`). */
  readonly code: string;

  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options?.code ?? "streamdex_error";
  }
}
