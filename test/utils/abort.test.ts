import { describe, expect, it } from "vitest";
import { AbortError } from "../../src/index.js";
import { onAbort, raceAbort, sleep } from "../../src/utils/abort.js";

/** A signal that counts its abort listeners, to show that each one is removed. */
function countingSignal(): { controller: AbortController; listeners: () => number } {
  const controller = new AbortController();
  let count = 0;
  const { signal } = controller;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((type: string, listener: EventListener, options?: AddEventListenerOptions) => {
    if (type === "abort") count++;
    add(type, listener, options);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((type: string, listener: EventListener) => {
    if (type === "abort") count--;
    remove(type, listener);
  }) as typeof signal.removeEventListener;
  return { controller, listeners: () => count };
}

describe("onAbort", () => {
  it("calls the listener once, with the reason, when the signal aborts", () => {
    const controller = new AbortController();
    const reasons: unknown[] = [];
    onAbort(controller.signal, (reason) => reasons.push(reason));
    controller.abort("why");
    controller.abort("again");
    expect(reasons).toEqual(["why"]);
  });

  it("calls the listener at once, synchronously, for a signal already aborted, and registers nothing", () => {
    const { controller, listeners } = countingSignal();
    controller.abort("early");
    const reasons: unknown[] = [];
    const off = onAbort(controller.signal, (reason) => reasons.push(reason));
    expect(reasons).toEqual(["early"]);
    expect(listeners()).toBe(0);
    off();
    expect(reasons).toEqual(["early"]);
  });

  it("dispose removes the listener, and calling it twice or after the abort does nothing", () => {
    const { controller, listeners } = countingSignal();
    let calls = 0;
    const off = onAbort(controller.signal, () => calls++);
    expect(listeners()).toBe(1);
    off();
    off();
    expect(listeners()).toBe(0);
    controller.abort();
    expect(calls).toBe(0);

    const second = countingSignal();
    const off2 = onAbort(second.controller.signal, () => calls++);
    second.controller.abort();
    off2();
    off2();
    expect(calls).toBe(1);
    expect(second.listeners()).toBe(0);
  });

  it("a missing signal: nothing to listen to, dispose is a no-op", () => {
    let calls = 0;
    const off = onAbort(undefined, () => calls++);
    off();
    expect(calls).toBe(0);
  });
});

describe("sleep and raceAbort leave no listener behind", () => {
  it("sleep removes its listener when the time is up, and rejects with AbortError on abort", async () => {
    const { controller, listeners } = countingSignal();
    await sleep(1, controller.signal);
    expect(listeners()).toBe(0);
    const pending = sleep(10_000, controller.signal);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
  });

  it("raceAbort removes its listener when the promise settles either way", async () => {
    const { controller, listeners } = countingSignal();
    expect(await raceAbort(Promise.resolve(1), controller.signal)).toBe(1);
    await expect(raceAbort(Promise.reject(new Error("x")), controller.signal)).rejects.toThrow("x");
    expect(listeners()).toBe(0);
    const never = raceAbort(new Promise<never>(() => undefined), controller.signal);
    controller.abort();
    await expect(never).rejects.toBeInstanceOf(AbortError);
  });
});
