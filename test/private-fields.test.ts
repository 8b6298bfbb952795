/**
 * One private-member style: TypeScript `private` / `protected`, not ECMAScript `#fields` (biome has no rule for
 * this). Fails on any `#name` member declaration or `this.#name` use in src/.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const HASH_MEMBER = /^\s+(?:(?:static|readonly|async|get|set|accessor)\s+)*\*?#[A-Za-z_$]|\.#[A-Za-z_$]/m;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

describe("private members", () => {
  it("src/ uses TypeScript private, not #fields", () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(join(ROOT, "src"))) {
      const rel = relative(ROOT, file).split("\\").join("/");
      if (HASH_MEMBER.test(readFileSync(file, "utf8"))) offenders.push(rel);
    }
    expect(offenders).toEqual([]);
  });
});
