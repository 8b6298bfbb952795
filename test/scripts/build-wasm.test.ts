import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { generateWasmModule, WASM_MODULES } from "../../scripts/wasm-modules.js";

describe("npm run build:wasm", () => {
  it.each(WASM_MODULES.map((module) => [module.wat.slice(module.wat.lastIndexOf("/") + 1), module] as const))(
    "the committed module is exactly %s assembled (run `npm run build:wasm` after editing it)",
    async (_name, module) => {
      const generated = await generateWasmModule(module);
      const committed = await readFile(module.output, "utf8");
      // The committed file is also formatted by Biome; compare the base64 payload.
      const payload = (source: string): string => source.match(/"[A-Za-z0-9+/=]+"/g)!.join("");
      expect(payload(committed)).toBe(payload(generated));
    },
  );
});
