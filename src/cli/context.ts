import type { Env } from "./models.js";

/** What a command runs against: its streams, environment and working directory (injectable for tests). */
export interface CliContext {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Env;
  cwd: string;
  /** Aborted on Ctrl-C (SIGINT), unless a command handles Ctrl-C itself through `onInterrupt`. */
  interrupt: AbortSignal;
  /** Lines typed by the user (`streamdex chat`); default `process.stdin`. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  /**
   * Lets a command handle Ctrl-C itself while `handler` is registered (e.g. to stop one answer, not the
   * program): `interrupt` is then not aborted. Returns the function that unregisters it.
   */
  onInterrupt?(handler: () => void): () => void;
}

/** Exit codes with a meaning. */
export const EXIT = {
  ok: 0,
  /** A runtime failure: a provider error, an unreadable index, a network problem. */
  failure: 1,
  /** Bad usage: unknown command, flag or value; a model that is not available. */
  usage: 2,
  /** Nothing to answer from: no index yet, or no readable documents. */
  noData: 3,
  /** Interrupted by Ctrl-C. */
  interrupted: 130,
} as const;

/** Writes one line to stderr. */
export function note(ctx: CliContext, line: string): void {
  ctx.stderr.write(`${line}\n`);
}
