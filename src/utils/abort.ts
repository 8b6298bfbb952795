import { AbortError } from "../errors/index.js";

/** Resolves after `ms` milliseconds, or rejects with {@link AbortError} as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      resolve();
    }, ms);
    const off = onAbort(signal, () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    });
  });
}

/** The error to throw for an aborted signal: its reason when that is an Error, else an {@link AbortError}. */
export function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof AbortError) return reason;
  return new AbortError("The operation was aborted.", { cause: reason });
}

/** Throws {@link AbortError} if `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/** One signal that aborts when any of `signals` does (undefined entries are ignored). */
export function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}

/** `promise`, or a rejection with {@link AbortError} as soon as `signal` aborts (the promise itself runs on). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const off = onAbort(signal, () => reject(abortReason(signal)));
    promise.then(
      (v) => {
        off();
        resolve(v);
      },
      (e: unknown) => {
        off();
        reject(e);
      },
    );
  });
}

/**
 * Calls `listener` once when `signal` aborts: at once (synchronously) if it is aborted already, else on its
 * `abort` event (`{ once: true }`). Returns a dispose function that removes the listener; calling it again, after
 * the listener ran, or for a missing signal does nothing. The one way the library listens to a signal.
 * (Not a `Disposable`: the project's TS lib, ES2023, has no `Symbol.dispose` yet.)
 *
 * @example
 * ```ts
 * const off = onAbort(signal, () => stream.cancel());
 * try { await work(); } finally { off(); }
 * ```
 */
export function onAbort(signal: AbortSignal | undefined, listener: (reason: unknown) => void): () => void {
  if (signal === undefined) return noop;
  if (signal.aborted) {
    listener(signal.reason);
    return noop;
  }
  const handler = () => listener(signal.reason);
  signal.addEventListener("abort", handler, { once: true });
  let disposed = false;
  return () => {
    if (disposed) return;
    disposed = true;
    // After the abort the `once` listener is gone already: removing it again is harmless.
    signal.removeEventListener("abort", handler);
  };
}

function noop(): void {}
