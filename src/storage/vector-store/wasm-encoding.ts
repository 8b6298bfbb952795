/**
 * A small WebAssembly binary encoder: LEB128 numbers, sections, and the instructions the kernels in
 * wasm-kernels.ts are written with (each constant or function returns the bytes of one instruction).
 *
 * @internal
 */

export const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
};
export const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
};
export const bytesOf = (array: Float32Array): number[] => Array.from(new Uint8Array(array.buffer));
export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
export const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
export const mem = (align: number, offset = 0): number[] => [align, ...uleb(offset)];

// Control, locals and scalar instructions.
export const BLOCK = [0x02, 0x40];
export const LOOP = [0x03, 0x40];
export const IF = [0x04, 0x40];
export const ELSE = [0x05];
export const END = [0x0b];
export const br = (depth: number) => [0x0c, depth];
export const brIf = (depth: number) => [0x0d, depth];
export const get = (i: number) => [0x20, i];
export const set = (i: number) => [0x21, i];
export const tee = (i: number) => [0x22, i];
export const i32c = (n: number) => [0x41, ...sleb(n)];
export const f32c = (x: number) => [0x43, ...bytesOf(Float32Array.of(x))];
export const F64_ZERO = [0x44, 0, 0, 0, 0, 0, 0, 0, 0];
export const I32_EQZ = [0x45];
export const I32_GE_U = [0x4f];
export const I32_ADD = [0x6a];
export const I32_SUB = [0x6b];
export const I32_SHL = [0x74];
export const I32_MUL = [0x6c];
export const I32_GT_S = [0x4a];
export const I32_LE_S = [0x4c];
export const F32_GT = [0x5e];
export const F32_ADD = [0x92];
export const F32_DIV = [0x95];
export const F32_MAX = [0x97];
export const F64_GT = [0x64];
export const F64_SQRT = [0x9f];
export const F64_DIV = [0xa3];
export const F32_DEMOTE_F64 = [0xb6];
export const F64_CONVERT_I32_U = [0xb8];
export const F64_PROMOTE_F32 = [0xbb];
export const SELECT = [0x1b];
export const I32_STORE = [0x36, ...mem(2)];
export const f64Store = (offset: number) => [0x39, ...mem(3, offset)];
// SIMD instructions (0xfd prefix).
export const v128Load = (offset = 0) => simd(0x00, ...mem(4, offset));
export const v128Store = (offset = 0) => simd(0x0b, ...mem(4, offset));
export const load64Zero = (offset = 0) => simd(0x5d, ...mem(3, offset));
export const V128_ZERO = simd(0x0c, ...new Array<number>(16).fill(0));
/** i8x16.shuffle taking the low 8 bytes of each operand: [a0, a1, b0, b1] as f32x4. */
export const LOW_HALVES = simd(0x0d, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
/** i8x16.shuffle taking the high 8 bytes of each operand: [a1, b1] as f64x2. */
export const HIGH_HALVES = simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
export const F64X2_LANE = (lane: number) => simd(0x21, lane);
export const F64X2_ADD = simd(0xf0);
export const F64X2_MUL = simd(0xf2);
export const F64X2_SPLAT = simd(0x14);
export const F32X4_DEMOTE_F64X2_ZERO = simd(0x5e);
export const F64X2_PROMOTE_LOW_F32X4 = simd(0x5f);
export const F64X2_DIV = simd(0xf3);
export const I32X4_LANE = (lane: number) => simd(0x1b, lane);
export const F32X4_LANE = (lane: number) => simd(0x1f, lane);
export const F32X4_SPLAT = simd(0x13);
export const I8X16_NARROW_I16X8_S = simd(0x65);
export const I16X8_NARROW_I32X4_S = simd(0x85);
export const I16X8_EXTEND_LOW_I8X16_S = simd(0x87);
export const I16X8_EXTEND_HIGH_I8X16_S = simd(0x88);
export const I32X4_ADD = simd(0xae);
export const I32X4_SUB = simd(0xb1);
export const MAGIC = simd(0x0c, ...[0, 1, 2, 3].flatMap(() => bytesOf(Float32Array.of(12_582_912))));
export const I32X4_MAX_S = simd(0xb8);
export const I32X4_DOT_I16X8_S = simd(0xba);
export const F32X4_ABS = simd(0xe0);
export const F32X4_ADD = simd(0xe4);
export const F32X4_SUB = simd(0xe5);
export const F32X4_MUL = simd(0xe6);
export const addTo = (local: number, offset: number) => [
  ...get(local),
  ...i32c(offset),
  ...I32_ADD,
  ...set(local),
];
