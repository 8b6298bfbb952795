/**
 * The WebAssembly SIMD (f32x4 / i16x8) kernels behind {@link SimpleVectorStore}: the module assembled from
 * vector-kernels.wat (`npm run build:wasm`), instantiated here. The plain JS kernels (vector-kernels.ts) are the
 * reference.
 * Measured win (shared bench, 2026-12-07): retrieve p50 0.82x raw-rag on the plain JS kernels, 0.025x on these;
 * ingest 1.13x -> 0.84x.
 *
 * @module
 */

import { VECTOR_KERNELS_WASM } from "./vector-kernels-wasm.js";

/** The functions the kernel module exports (byte offsets into its own memory). */
export interface WasmKernelExports {
  memory: WebAssembly.Memory;
  dot(a: number, b: number, n: number): number;
  scanI8(q: number, rows: number, count: number, n: number, out: number): void;
  quantize(rows: number, dst: number, count: number, n: number, stats: number): void;
  normalize(rows: number, dst: number, count: number, n: number, stats: number, norms: number): void;
}

let compiled: WebAssembly.Module | null | undefined;

/**
 * A fresh instance of the kernels (each with its own memory), or `undefined` when this runtime has no WebAssembly
 * or no SIMD support.
 */
export function instantiateKernels(): WasmKernelExports | undefined {
  if (compiled === undefined) {
    try {
      compiled =
        typeof WebAssembly === "object" && WebAssembly.validate(VECTOR_KERNELS_WASM)
          ? new WebAssembly.Module(VECTOR_KERNELS_WASM)
          : null;
    } catch {
      compiled = null;
    }
  }
  if (compiled === null) return undefined;
  return new WebAssembly.Instance(compiled, {}).exports as unknown as WasmKernelExports;
}
