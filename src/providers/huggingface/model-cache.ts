/** Something loaded once and shared: released (disposed) when the last holder lets go. */
export interface Disposable {
  dispose(): Promise<unknown> | unknown;
}

/** A hold on a shared loaded value: release it exactly once. */
export interface Lease<T> {
  value: Promise<T>;
  release(): Promise<void>;
}

interface Entry {
  refs: number;
  value: Promise<Disposable>;
}

const entries = new Map<string, Entry>();
let loads = 0;

/**
 * Takes a hold on the value cached under `key`, calling `load` only if nobody holds it yet: two instances on the
 * same model (same source, dtype and device) share one load. A failed load is forgotten, so the next call
 * retries. The value is disposed when the last hold is released.
 */
export function lease<T extends Disposable>(key: string, load: () => Promise<T>): Lease<T> {
  let entry = entries.get(key);
  if (!entry) {
    loads++;
    const value = load().catch((error: unknown) => {
      if (entries.get(key) === entry) entries.delete(key);
      throw error;
    });
    entry = { refs: 0, value };
    entries.set(key, entry);
  }
  const held = entry;
  held.refs++;
  let released = false;
  return {
    value: held.value as Promise<T>,
    release: async () => {
      if (released) return;
      released = true;
      held.refs--;
      if (held.refs > 0) return;
      if (entries.get(key) === held) entries.delete(key);
      const value = await held.value.catch(() => undefined);
      await value?.dispose();
    },
  };
}

/** How many models are loaded now, and how many loads were ever started (tests and diagnostics). */
export function modelCacheStats(): { loaded: number; loadsStarted: number } {
  return { loaded: entries.size, loadsStarted: loads };
}
