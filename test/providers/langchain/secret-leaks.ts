import { inspect } from "node:util";
import { expect } from "vitest";

/**
 * Every way an error reaches a log, with the key nowhere in it: `console.error(err)` (`util.inspect`, hidden
 * fields and the whole `cause` chain included), `JSON.stringify` of the error and of its cause, and every string
 * reachable from it (own properties, enumerable or not, and causes).
 */
export function expectNoSecret(error: unknown, secret: string): void {
  expect(inspect(error, { depth: Infinity })).not.toContain(secret);
  expect(inspect(error, { depth: Infinity, showHidden: true })).not.toContain(secret);
  expect(JSON.stringify(error)).not.toContain(secret);
  const cause = (error as { cause?: unknown }).cause;
  expect(cause).toBeDefined();
  expect(JSON.stringify(cause) ?? "").not.toContain(secret);
  expect(inspect(cause, { depth: Infinity, showHidden: true })).not.toContain(secret);
  expect(reachableStringsWith(error, secret)).toEqual([]);
}

/** Paths of the strings reachable from `root` that contain `secret`. */
function reachableStringsWith(root: unknown, secret: string): string[] {
  const found: string[] = [];
  const seen = new Set<object>();
  const walk = (value: unknown, path: string, depth: number): void => {
    if (typeof value === "string") {
      if (value.includes(secret)) found.push(path);
      return;
    }
    if (typeof value !== "object" || value === null || seen.has(value) || depth > 8) return;
    seen.add(value);
    for (const key of Reflect.ownKeys(value)) {
      if (typeof key === "symbol") continue;
      let child: unknown;
      try {
        child = (value as Record<string, unknown>)[key];
      } catch {
        continue;
      }
      walk(child, `${path}.${key}`, depth + 1);
    }
  };
  walk(root, "error", 0);
  return found;
}
