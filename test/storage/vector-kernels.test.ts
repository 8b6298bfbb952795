import { describe, expect, it } from "vitest";
import { squaredNorm, writeUnit } from "../../src/storage/vector-store/vector-input.js";
import { createKernels, type VectorKernels } from "../../src/storage/vector-store/vector-kernels.js";
import { rng } from "./random-vectors.js";

/** Rows that exercise every branch: random, zero, signed zeros, subnormal, huge, one spike, powers of two. */
function awkwardRows(count: number, dims: number, seed: number): Float32Array[] {
  const next = rng(seed);
  return Array.from({ length: count }, (_, r) => {
    const v = new Float32Array(dims);
    for (let j = 0; j < dims; j++) {
      const x = next() - 0.5;
      switch (r % 8) {
        case 0:
          v[j] = 0;
          break;
        case 1:
          v[j] = x < 0 ? -0 : 0;
          break;
        case 2:
          v[j] = x * 1e-40;
          break;
        case 3:
          v[j] = x * 1e30;
          break;
        case 4:
          v[j] = j === dims >> 1 ? -3 : 0;
          break;
        case 5:
          v[j] = Math.sign(x) * 2 ** Math.floor(next() * 40 - 20);
          break;
        default:
          v[j] = x;
      }
    }
    return v;
  });
}

/** Byte offsets of the regions of `count` rows laid out as the arena does (rows, int8 rows, stats, norms). */
const layout = (count: number, stride: number) => {
  const rows8 = count * stride * 4;
  const stats = rows8 + count * stride;
  const norms = stats + count * 32;
  return { rows8, stats, norms, end: norms + count * 8 };
};

/** Every region after writing `vectors` with `writeUnit` + `quantize`, one row at a time (the reference). */
function reference(kernels: VectorKernels, vectors: Float32Array[], stride: number): Uint8Array {
  const { rows8, stats, norms, end } = layout(vectors.length, stride);
  kernels.grow(end);
  const f32 = new Float32Array(kernels.buffer);
  const f64 = new Float64Array(kernels.buffer);
  vectors.forEach((v, r) => {
    f64[(norms >> 3) + r] = writeUnit(v, f32, r * stride, stride);
    kernels.quantize(r * stride * 4, rows8 + r * stride, 1, stride, stats + r * 32);
  });
  return new Uint8Array(kernels.buffer.slice(0, end));
}

/** Every region after copying `vectors` in (zero-padded) and normalizing them, `chunk` rows per call. */
function fused(kernels: VectorKernels, vectors: Float32Array[], stride: number, chunk: number): Uint8Array {
  const { rows8, stats, norms, end } = layout(vectors.length, stride);
  kernels.grow(end);
  const f32 = new Float32Array(kernels.buffer);
  f32.fill(Number.NaN); // padding must be rewritten, not assumed zero
  vectors.forEach((v, r) => {
    f32.set(v, r * stride);
    f32.fill(0, r * stride + v.length, (r + 1) * stride);
  });
  for (let r = 0; r < vectors.length; r += chunk) {
    const c = Math.min(chunk, vectors.length - r);
    kernels.normalize(r * stride * 4, rows8 + r * stride, c, stride, stats + r * 32, norms + r * 8);
  }
  return new Uint8Array(kernels.buffer.slice(0, end));
}

/** The first byte where `a` and `b` differ, or -1 (toEqual on megabytes of bytes is slow). */
const firstDifference = (a: Uint8Array, b: Uint8Array): number => {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  if (Buffer.from(a.buffer, a.byteOffset, a.length).equals(b)) return -1;
  return a.findIndex((x, i) => x !== b[i]);
};

describe("vector kernels", () => {
  for (const dims of [1, 4, 37, 64, 96, 1536]) {
    it(`normalize equals writeUnit then quantize, bit for bit, WebAssembly as the plain JS reference (${dims} dims)`, () => {
      const stride = Math.ceil(dims / 32) * 32;
      const vectors = awkwardRows(dims === 1536 ? 40 : 67, dims, dims);
      const expected = reference(createKernels("js"), vectors, stride);
      expect(firstDifference(reference(createKernels("wasm"), vectors, stride), expected)).toBe(-1);
      for (const chunk of [1, 2, 3, 64]) {
        expect(firstDifference(fused(createKernels("wasm"), vectors, stride, chunk), expected)).toBe(-1);
        expect(firstDifference(fused(createKernels("js"), vectors, stride, chunk), expected)).toBe(-1);
      }
      const norms = new Float64Array(expected.buffer, layout(vectors.length, stride).norms, vectors.length);
      expect(Array.from(norms)).toEqual(vectors.map((v) => Math.sqrt(squaredNorm(v))));
    });
  }

  it("dot and scanI8 in WebAssembly give exactly the plain JS kernels' results", () => {
    const stride = 1536;
    const count = 24;
    const vectors = awkwardRows(count + 1, stride, 11);
    const results = (["js", "wasm"] as const).map((backend) => {
      const kernels = createKernels(backend);
      const rows8 = (count + 1) * stride * 4;
      const query16 = rows8 + (count + 1) * stride;
      const out = query16 + stride * 2;
      kernels.grow(out + count * 4);
      const f32 = new Float32Array(kernels.buffer);
      const i8 = new Int8Array(kernels.buffer);
      const i16 = new Int16Array(kernels.buffer);
      for (const [r, v] of vectors.entries()) f32.set(v, r * stride);
      for (let j = 0; j < count * stride; j++) i8[rows8 + j] = ((j * 37) % 255) - 127;
      for (let j = 0; j < stride; j++) i16[(query16 >> 1) + j] = ((j * 101) % 22_017) - 11_008;
      const dots = vectors.slice(1).map((_, r) => kernels.dot(0, (r + 1) * stride * 4, stride));
      kernels.scanI8(query16, rows8, count, stride, out);
      return { dots, scans: Array.from(new Int32Array(kernels.buffer, out, count)) };
    });
    expect(results[1]!.dots.map((x) => (Object.is(x, x) ? x : "NaN"))).toEqual(
      results[0]!.dots.map((x) => (Object.is(x, x) ? x : "NaN")),
    );
    expect(results[1]!.scans).toEqual(results[0]!.scans);
  });

  it("normalize reports a non-finite norm for a row with NaN or Infinity, and a finite one for its neighbours", () => {
    const dims = 40;
    const stride = 64;
    const vectors = awkwardRows(5, dims, 7).map((v) => v.map((x, j) => x + j));
    vectors[1]![39] = Number.NaN;
    vectors[3]![0] = Number.POSITIVE_INFINITY;
    for (const backend of ["wasm", "js"] as const) {
      const bytes = fused(createKernels(backend), vectors, stride, 5);
      const norms = new Float64Array(bytes.buffer, layout(5, stride).norms, 5);
      expect(Array.from(norms, Number.isFinite)).toEqual([true, false, true, false, true]);
    }
  });
});
