/**
 * The public API: every name each package entry point (package.json `exports`) exports, values and types, read
 * with the TypeScript checker and compared with `test/__snapshots__/public-api.json`. A change to the API is then
 * a deliberate diff of that file. After an intended change, regenerate it with:
 *
 *   npx vitest run test/public-api.test.ts -u
 *
 * Entry points list their names explicitly: no `export *`, and types as `export type`.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  exports: Record<string, string | { import: string }>;
};
const entries = Object.entries(pkg.exports)
  .filter((entry): entry is [string, { import: string }] => typeof entry[1] === "object")
  .map(([subpath, target]) => ({
    subpath,
    file: join(ROOT, target.import.replace("./dist/", "src/").replace(/\.js$/, ".ts")),
  }));

const program = ts.createProgram(
  entries.map((e) => e.file),
  {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ["node"],
  },
);
const checker = program.getTypeChecker();

function sourceOf(file: string): ts.SourceFile {
  const sf = program.getSourceFile(file);
  if (!sf) throw new Error(`entry point ${file} not found`);
  return sf;
}

describe("public API", () => {
  it("every entry point exports exactly the names in the snapshot", async () => {
    const api: Record<string, string[]> = {};
    for (const { subpath, file } of entries) {
      const moduleSymbol = checker.getSymbolAtLocation(sourceOf(file));
      if (!moduleSymbol) throw new Error(`${file} is not a module`);
      api[subpath] = checker
        .getExportsOfModule(moduleSymbol)
        .map((s) => s.name)
        .sort();
    }
    expect(Object.keys(api)).toContain(".");
    await expect(`${JSON.stringify(api, null, 2)}\n`).toMatchFileSnapshot("__snapshots__/public-api.json");
  });

  it("no entry point uses export *, and types are exported with export type", () => {
    const problems: string[] = [];
    for (const { subpath, file } of entries) {
      const sf = sourceOf(file);
      for (const statement of sf.statements) {
        if (!ts.isExportDeclaration(statement)) continue;
        const clause = statement.exportClause;
        if (!clause || ts.isNamespaceExport(clause)) {
          problems.push(`${subpath}: ${statement.getText(sf)}`);
          continue;
        }
        if (statement.isTypeOnly) continue;
        for (const specifier of clause.elements) {
          if (specifier.isTypeOnly) continue;
          const symbol = checker.getSymbolAtLocation(specifier.name);
          const target =
            symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
          if (target && !(target.flags & ts.SymbolFlags.Value)) {
            problems.push(`${subpath}: ${specifier.name.text} is a type, export it with \`export type\``);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
