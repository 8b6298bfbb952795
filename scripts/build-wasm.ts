// Assembles the project's WebAssembly text sources (.wat) into the TypeScript modules that embed their bytes, then
// formats those modules with Biome. Usage: npm run build:wasm
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { generateWasmModule, WASM_MODULES } from "./wasm-modules.js";

for (const module of WASM_MODULES) {
  await writeFile(module.output, await generateWasmModule(module));
  console.log(`wrote ${module.output}`);
}
const biome = createRequire(import.meta.url).resolve("@biomejs/biome/bin/biome");
execFileSync(process.execPath, [biome, "format", "--write", ...WASM_MODULES.map((m) => m.output)], {
  stdio: "inherit",
});
