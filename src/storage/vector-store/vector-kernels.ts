/**
 * The numeric kernels of {@link SimpleVectorStore} behind one interface, {@link VectorKernels}: WebAssembly SIMD
 * (vector-kernels.wat) and the plain JavaScript reference that the tests compare it with, bit for bit.
 * Measured win (shared bench, 2026-12-07): retrieve p50 0.82x raw-rag on the plain JS kernels, 0.025x on these;
 * ingest 1.13x -> 0.84x.
 *
 * @module
 */

import { StreamdexError } from "../../errors/index.js";
import { instantiateKernels, type WasmKernelExports } from "./wasm-kernels.js";

/** Which implementation runs the kernels: WebAssembly SIMD, or plain JavaScript (same results, slower). */
export type KernelBackend = "wasm" | "js";

/**
 * The numeric kernels {@link SimpleVectorStore} needs, over one growable byte buffer addressed by byte offsets.
 * Both backends write and return bit-identical results (the JS one replays the SIMD summation orders in float32).
 */
export interface VectorKernels {
  readonly backend: KernelBackend;
  /** The current memory. Replaced by {@link VectorKernels.grow}: views made before a grow are stale. */
  readonly buffer: ArrayBuffer;
  /** Grows the memory to at least `bytes`, keeping its contents. */
  grow(bytes: number): void;
  /** Float32 dot product of `n` floats (`n % 16 == 0`) at byte offsets `a` and `b`. */
  dot(a: number, b: number, n: number): number;
  /** Int8 rows (`n % 32 == 0`) · int16 query, exact int32, one per row at `out`. */
  scanI8(q: number, rows: number, count: number, n: number, out: number): void;
  /**
   * Quantizes float32 rows to int8 with the float32 scale `s = max|x| / 127` and writes `[s, Σ(x − s·v)², Σv², Σx²]`
   * (4 × f64) per row at `stats`. The sums are float32 (4 lanes, then `(l0 + l1) + (l2 + l3)`; the caller bounds
   * their rounding).
   */
  quantize(rows: number, dst: number, count: number, n: number, stats: number): void;
  /**
   * Normalizes `count` contiguous float32 rows of `n` values in place and quantizes them, in one call: per row, the
   * squared norm summed in float64 in index order (as `squaredNorm`), `norm = √sum` written as f64 at `norms`
   * (non-finite when a value is), each value replaced by `x / norm` (float64 division, rounded to float32; a row
   * of norm 0, or NaN, becomes all +0), then {@link VectorKernels.quantize}'s int8 row at `dst` and stats at
   * `stats`. Bit for bit the result of `writeUnit` then `quantize` on each row.
   */
  normalize(rows: number, dst: number, count: number, n: number, stats: number, norms: number): void;
}

const WASM_PAGE = 65_536;
const WASM_MAX_BYTES = 65_536 * WASM_PAGE;
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Whether this host stores numbers little-endian (the persisted format's byte order). */
export const isLittleEndian = (): boolean => LITTLE_ENDIAN;

/**
 * Kernels on the preferred backend. `"auto"` picks WebAssembly SIMD when the runtime supports it (Node 20 does)
 * and the host is little-endian, else JavaScript.
 *
 * @example
 * ```ts
 * const kernels = createKernels("auto");
 * kernels.grow(1 << 20);
 * ```
 */
export function createKernels(preference: "auto" | KernelBackend = "auto"): VectorKernels {
  if (preference !== "js" && LITTLE_ENDIAN) {
    const wasm = instantiateKernels();
    if (wasm !== undefined) return new WasmKernels(wasm);
    if (preference === "wasm") {
      throw new StreamdexError(
        'WebAssembly SIMD is not available in this runtime: use backend "auto" or "js".',
        {
          code: "not_supported",
        },
      );
    }
  }
  return new JsKernels();
}

const outOfMemory = (bytes: number, cause?: unknown): StreamdexError =>
  new StreamdexError(
    `The vector store needs ${Math.ceil(bytes / 2 ** 20)} MiB, more than this runtime can allocate for it ` +
      "(WebAssembly memory is limited to 4 GiB). Use several stores or a database-backed vector store.",
    { code: "out_of_memory", cause },
  );

class WasmKernels implements VectorKernels {
  readonly backend = "wasm" as const;
  readonly dot: VectorKernels["dot"];
  readonly scanI8: VectorKernels["scanI8"];
  readonly quantize: VectorKernels["quantize"];
  readonly normalize: VectorKernels["normalize"];
  private readonly memory: WebAssembly.Memory;

  constructor(exports: WasmKernelExports) {
    this.memory = exports.memory;
    this.dot = exports.dot;
    this.scanI8 = exports.scanI8;
    this.quantize = exports.quantize;
    this.normalize = exports.normalize;
  }

  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  grow(bytes: number): void {
    const current = this.memory.buffer.byteLength;
    if (bytes <= current) return;
    if (bytes > WASM_MAX_BYTES) throw outOfMemory(bytes);
    // Grow geometrically so that many small adds do not each pay a reallocation.
    const target = Math.min(WASM_MAX_BYTES, Math.max(bytes, current * 1.5));
    try {
      this.memory.grow(Math.ceil((target - current) / WASM_PAGE));
    } catch (error) {
      throw outOfMemory(bytes, error);
    }
  }
}

/** The same kernels in JavaScript, for runtimes without WebAssembly SIMD. */
class JsKernels implements VectorKernels {
  readonly backend = "js" as const;
  private _buffer = new ArrayBuffer(WASM_PAGE);
  private f32 = new Float32Array(this._buffer);
  private f64 = new Float64Array(this._buffer);
  private i8 = new Int8Array(this._buffer);
  private i16 = new Int16Array(this._buffer);
  private i32 = new Int32Array(this._buffer);

  get buffer(): ArrayBuffer {
    return this._buffer;
  }

  grow(bytes: number): void {
    if (bytes <= this._buffer.byteLength) return;
    let next: ArrayBuffer;
    try {
      next = new ArrayBuffer(Math.ceil(Math.max(bytes, this._buffer.byteLength * 1.5) / 64) * 64);
    } catch (error) {
      throw outOfMemory(bytes, error);
    }
    new Uint8Array(next).set(new Uint8Array(this._buffer));
    this._buffer = next;
    this.f32 = new Float32Array(next);
    this.f64 = new Float64Array(next);
    this.i8 = new Int8Array(next);
    this.i16 = new Int16Array(next);
    this.i32 = new Int32Array(next);
  }

  dot(a: number, b: number, n: number): number {
    const f = this.f32;
    const fr = Math.fround;
    // 16 partial sums, partial m collects indices ≡ m (mod 16): lane (m % 4) of accumulator floor(m / 4).
    const p = new Float64Array(16);
    for (let i = 0, x = a >> 2, y = b >> 2; i < n; i += 16, x += 16, y += 16) {
      for (let m = 0; m < 16; m++) p[m] = fr(p[m]! + fr(f[x + m]! * f[y + m]!));
    }
    const lane = (j: number) => fr(fr(p[j]! + p[4 + j]!) + fr(p[8 + j]! + p[12 + j]!));
    return fr(fr(lane(0) + lane(1)) + fr(lane(2) + lane(3)));
  }

  scanI8(q: number, rows: number, count: number, n: number, out: number): void {
    const i8 = this.i8;
    const i16 = this.i16;
    const i32 = this.i32;
    const q0 = q >> 1;
    for (let r = 0; r < count; r++) {
      const o = rows + r * n;
      let s0 = 0;
      let s1 = 0;
      for (let i = 0; i < n; i += 2) {
        s0 += i8[o + i]! * i16[q0 + i]!;
        s1 += i8[o + i + 1]! * i16[q0 + i + 1]!;
      }
      i32[(out >> 2) + r] = s0 + s1;
    }
  }

  quantize(rows: number, dst: number, count: number, n: number, stats: number): void {
    const f = this.f32;
    const i8 = this.i8;
    const f64 = this.f64;
    const fr = Math.fround;
    const MAGIC = 12_582_912; // 1.5 · 2^23: fround(y + MAGIC) - MAGIC rounds half to even, as the kernel does.
    for (let r = 0; r < count; r++) {
      const x0 = (rows >> 2) + r * n;
      const d0 = dst + r * n;
      let m = 0;
      for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(f[x0 + i]!));
      const s = fr(m / 127);
      const inv = m > 0 ? fr(127 / m) : 0;
      // The float sums replay the kernel's float32 lanes (lane k sums the indices ≡ k mod 4), so both backends
      // write the same stats bit for bit.
      const res = [0, 0, 0, 0];
      const xx = [0, 0, 0, 0];
      let vv = 0;
      for (let i = 0; i < n; i += 4) {
        for (let k = 0; k < 4; k++) {
          const x = f[x0 + i + k]!;
          const v = fr(fr(x * inv) + MAGIC) - MAGIC;
          i8[d0 + i + k] = v;
          vv += v * v;
          const d = fr(x - fr(s * v));
          res[k] = fr(res[k]! + fr(d * d));
          xx[k] = fr(xx[k]! + fr(x * x));
        }
      }
      const st = (stats >> 3) + 4 * r;
      f64[st] = s;
      f64[st + 1] = fr(fr(res[0]! + res[1]!) + fr(res[2]! + res[3]!));
      f64[st + 2] = vv;
      f64[st + 3] = fr(fr(xx[0]! + xx[1]!) + fr(xx[2]! + xx[3]!));
    }
  }

  normalize(rows: number, dst: number, count: number, n: number, stats: number, norms: number): void {
    const f = this.f32;
    for (let r = 0; r < count; r++) {
      const base = (rows >> 2) + r * n;
      let sum = 0;
      for (let j = base; j < base + n; j++) sum += f[j]! * f[j]!;
      const norm = Math.sqrt(sum);
      this.f64[(norms >> 3) + r] = norm;
      if (norm > 0) for (let j = base; j < base + n; j++) f[j] = f[j]! / norm;
      else f.fill(0, base, base + n);
      this.quantize(rows + r * n * 4, dst + r * n, 1, n, stats + r * 32);
    }
  }
}
