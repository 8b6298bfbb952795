import type { VectorKernels } from "./vector-kernels.js";

/** Values kept per row in the stats region (float64). */
export const STATS_PER_ROW = 4;

const align64 = (n: number): number => Math.ceil(n / 64) * 64;

/**
 * The memory layout of a {@link SimpleVectorStore}: one buffer (the WebAssembly memory, or an `ArrayBuffer` for the
 * JS backend) holding, at 64-byte-aligned offsets,
 *
 * | region | size (bytes) | content |
 * | --- | --- | --- |
 * | query | `stride · 4` | the normalised query, float32 |
 * | query16 | `stride · 2` | the query quantized to int16 |
 * | rows | `capacity · stride · 4` | unit-length rows, float32, contiguous |
 * | rows8 | `capacity · stride` | the rows quantized to int8 |
 * | stats | `capacity · 32` | per row: int8 scale, two error-bound coefficients, original norm (float64) |
 * | scores | `capacity · 8` | scratch: int8 screening scores (int32) in a query, row norms (float64) in an add |
 *
 * `stride` is `dims` rounded up to 32 (zero padding), so every kernel loop runs whole SIMD blocks.
 * Capacity doubles when full; growing moves `rows8` and `stats` forward, `rows` never moves.
 * Measured win: the kernels' (vector-kernels.ts; retrieve p50 0.82x -> 0.025x raw-rag), which need this one buffer.
 */
export class VectorArena {
  readonly kernels: VectorKernels;
  readonly dims: number;
  readonly stride: number;
  readonly queryOffset = 64;
  readonly query16Offset: number;
  readonly rowsOffset: number;
  private _capacity = 0;
  /** Whole-buffer views, refreshed after every grow. */
  f32!: Float32Array;
  f64!: Float64Array;
  i8!: Int8Array;
  i16!: Int16Array;
  i32!: Int32Array;
  u8!: Uint8Array;

  constructor(kernels: VectorKernels, dims: number, capacity: number) {
    this.kernels = kernels;
    this.dims = dims;
    this.stride = Math.ceil(dims / 32) * 32;
    this.query16Offset = this.queryOffset + this.stride * 4;
    this.rowsOffset = align64(this.query16Offset + this.stride * 2);
    this.refresh();
    this.reserve(Math.max(1, capacity), 0);
  }

  /** Rows that fit without growing. */
  get capacity(): number {
    return this._capacity;
  }

  /** Byte offset of the int8 rows. */
  get rows8Offset(): number {
    return this.rows8OffsetAt(this._capacity);
  }

  /** Byte offset of the per-row stats. */
  get statsOffset(): number {
    return this.statsOffsetAt(this._capacity);
  }

  /** Byte offset of the screening scores (int32 per row). */
  get scoresOffset(): number {
    return this.statsOffsetAt(this._capacity) + this._capacity * STATS_PER_ROW * 8;
  }

  /** Byte offset of the row norms an add computes (float64 per row; the same scratch as the scores). */
  get normsOffset(): number {
    return this.scoresOffset;
  }

  /** Byte offset of float32 row `row`. */
  rowOffset(row: number): number {
    return this.rowsOffset + row * this.stride * 4;
  }

  /** Ensures room for `rows` rows (doubling), keeping the first `used` rows of every region. */
  reserve(rows: number, used: number): void {
    if (rows <= this._capacity) return;
    let capacity = Math.max(16, this._capacity);
    while (capacity < rows) capacity *= 2;
    const oldRows8 = this.rows8OffsetAt(this._capacity);
    const oldStats = this.statsOffsetAt(this._capacity);
    this.kernels.grow(this.statsOffsetAt(capacity) + capacity * (STATS_PER_ROW * 8 + 8));
    this.refresh();
    // Regions only move forward: move the later one first so nothing is overwritten before it is copied.
    if (used > 0) {
      this.u8.copyWithin(this.statsOffsetAt(capacity), oldStats, oldStats + used * STATS_PER_ROW * 8);
      this.u8.copyWithin(this.rows8OffsetAt(capacity), oldRows8, oldRows8 + used * this.stride);
    }
    this._capacity = capacity;
  }

  /** Copies every region of row `from` onto row `to`. */
  moveRow(from: number, to: number): void {
    const s = this.stride;
    const f32Rows = this.rowsOffset >> 2;
    this.f32.copyWithin(f32Rows + to * s, f32Rows + from * s, f32Rows + (from + 1) * s);
    const rows8 = this.rows8Offset;
    this.i8.copyWithin(rows8 + to * s, rows8 + from * s, rows8 + (from + 1) * s);
    const stats = this.statsOffset >> 3;
    this.f64.copyWithin(
      stats + to * STATS_PER_ROW,
      stats + from * STATS_PER_ROW,
      stats + (from + 1) * STATS_PER_ROW,
    );
  }

  private rows8OffsetAt(capacity: number): number {
    return this.rowsOffset + capacity * this.stride * 4;
  }

  private statsOffsetAt(capacity: number): number {
    return align64(this.rows8OffsetAt(capacity) + capacity * this.stride);
  }

  private refresh(): void {
    const buffer = this.kernels.buffer;
    this.f32 = new Float32Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.i8 = new Int8Array(buffer);
    this.i16 = new Int16Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.u8 = new Uint8Array(buffer);
  }
}
