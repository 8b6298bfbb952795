import { InvalidArgumentError } from "../../errors/index.js";
import { optionalInteger } from "../../utils/validate.js";

/** Options of resumable answers (part of `ServerOptions`). */
export interface ResumeOptions {
  /**
   * How long a streamed answer whose client went away keeps running, waiting to be resumed (default 30 000 ms).
   * Nobody resuming it in that time aborts the model request. `0`: a client that disconnects aborts its answer at
   * once (the behaviour before resumable answers).
   */
  resumeWindowMs?: number;
  /** How long an answer stays replayable after it ends (default 60 000 ms; keep it >= `resumeWindowMs`). */
  replayTtlMs?: number;
  /**
   * Bytes of events one answer keeps for replay (default 2 MiB, about 16k tokens of deltas). An answer beyond it
   * still streams to the clients reading it, but can no longer be resumed (410, then 404 once it ends).
   */
  maxReplayBytesPerAnswer?: number;
  /**
   * Bytes of events all answers keep for replay (default 64 MiB). Beyond it the oldest ended answers are dropped;
   * when that is not enough, the growing answer stops being resumable.
   */
  maxReplayBytes?: number;
  /**
   * Aborting it ends the server's answers: every running answer is aborted, every replay buffer freed
   * (`startServer`'s `close()` does this).
   */
  signal?: AbortSignal;
}

/** {@link ResumeOptions} with defaults applied. */
export interface ResolvedResumeOptions {
  resumeWindowMs: number;
  replayTtlMs: number;
  maxReplayBytesPerAnswer: number;
  maxReplayBytes: number;
  signal: AbortSignal | undefined;
}

/** The default `resumeWindowMs`: see the README ("Resumable answers") for why 30 s. */
export const DEFAULT_RESUME_WINDOW_MS = 30_000;

/** Longest delay a Node timer takes (about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

/** Applies defaults; throws {@link InvalidArgumentError} on a bad option. */
export function resolveResumeOptions(options: ResumeOptions): ResolvedResumeOptions {
  const ms = (name: string, value: unknown, fallback: number) => {
    const n = optionalInteger(name, value, 0, fallback);
    if (n > MAX_TIMER_MS) throw new InvalidArgumentError(name, `must be <= ${MAX_TIMER_MS}, got ${n}.`);
    return n;
  };
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError("signal", "expected an AbortSignal.");
  }
  return {
    resumeWindowMs: ms("resumeWindowMs", options.resumeWindowMs, DEFAULT_RESUME_WINDOW_MS),
    replayTtlMs: ms("replayTtlMs", options.replayTtlMs, 60_000),
    maxReplayBytesPerAnswer: optionalInteger(
      "maxReplayBytesPerAnswer",
      options.maxReplayBytesPerAnswer,
      1,
      2 * 1024 * 1024,
    ),
    maxReplayBytes: optionalInteger("maxReplayBytes", options.maxReplayBytes, 1, 64 * 1024 * 1024),
    signal,
  };
}
