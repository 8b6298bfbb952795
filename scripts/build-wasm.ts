// Assembles the project's WebAssembly text sources (.wat) into the TypeScript modules that embed their bytes.
// Usage: npm run build:wasm
import { writeFile } from "node:fs/promises";
import { generateWasmModule, WASM_MODULES } from "./wasm-modules.js";

for (const module of WASM_MODULES) {
  await writeFile(module.output, await generateWasmModule(module));
  console.log(`wrote ${module.output}`);
}
