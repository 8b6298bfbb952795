import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import wabt from "wabt";

/** A WebAssembly module whose `.wat` source is assembled into a TypeScript file holding its bytes. */
export interface WasmModuleSource {
  /** The `.wat` source. */
  wat: string;
  /** The generated TypeScript module. */
  output: string;
  /** Name of the exported `Uint8Array` constant. */
  exportName: string;
}

const root = (path: string): string => fileURLToPath(new URL(`../${path}`, import.meta.url));

/** Every module built by `npm run build:wasm`. */
export const WASM_MODULES: WasmModuleSource[] = [
  {
    wat: root("src/storage/vector-store/vector-kernels.wat"),
    output: root("src/storage/vector-store/vector-kernels-wasm.ts"),
    exportName: "VECTOR_KERNELS_WASM",
  },
];

/** Assembles `module.wat` and returns the TypeScript source of `module.output`. */
export async function generateWasmModule(module: WasmModuleSource): Promise<string> {
  const text = await readFile(module.wat, "utf8");
  const toolkit = await wabt();
  const parsed = toolkit.parseWat(module.wat, text, { bulk_memory: true, simd: true });
  try {
    parsed.validate();
    const bytes = parsed.toBinary({}).buffer;
    const base64 = Buffer.from(bytes).toString("base64");
    const lines: string[] = [];
    for (let i = 0; i < base64.length; i += 100) lines.push(`  "${base64.slice(i, i + 100)}",`);
    const file = module.wat.slice(module.wat.lastIndexOf("/") + 1);
    return [
      `// Generated from ${file} by \`npm run build:wasm\` (scripts/build-wasm.ts): do not edit.`,
      "",
      `/** The bytes of ${file} (${bytes.length} bytes). @internal */`,
      `export const ${module.exportName}: Uint8Array<ArrayBuffer> = Uint8Array.from(`,
      "  atob(",
      "    [",
      ...lines.map((line) => `    ${line}`),
      '    ].join(""),',
      "  ),",
      "  (c) => c.charCodeAt(0),",
      ");",
      "",
    ].join("\n");
  } finally {
    parsed.destroy();
  }
}
