import { bmpClassOf, nextCl100kPiece } from "./cl100k-pretokenizer.js";
import { CL100K_SCAN_WASM } from "./cl100k-scan-wasm.js";

/** Where the text starts in the module's memory (see cl100k-scan.wat). */
const TEXT_ADDRESS = 4 << 20;
/** Index of the running total in an Int32Array over the memory (byte 128); the pre-token count follows it. */
const TOTAL = 32;
const COUNT = 33;
const PAGE = 65536;

/** Longest text scanned in WebAssembly (code units); longer ones stay in JavaScript rather than grow the memory. */
export const MAX_WASM_TEXT = 1 << 20;

/** The pre-token log a scan fills: each pre-token's start and the token total before it. @internal */
export interface PieceLog {
  starts: Int32Array;
  prefix: Int32Array;
  n: number;
}

/** Token count of one pre-token, by the JavaScript counter: `cached` may use its cache, `uncached` must not. */
export interface PieceCounts {
  cached(text: string, p: number, q: number): number;
  uncached(text: string, p: number, q: number): number;
}

interface ScanExports {
  memory: WebAssembly.Memory;
  scan(p: number, end: number, log: number, cap: number): number;
  range(start: number, end: number, log: number, cap: number, n: number): number;
}

let compiled: WebAssembly.Module | null | undefined;

/**
 * The WebAssembly half of the cl100k counter (cl100k-scan.wat): one loaded text at a time, scanned for pre-tokens
 * and their cached counts several times faster than JavaScript. Pre-tokens whose bounds depend on a non-ASCII code
 * unit are handed back and counted here with {@link nextCl100kPiece}, so results are exactly the JavaScript
 * counter's.
 *
 * @internal
 */
export class Cl100kWasmScanner {
  /** The text in memory, if any. */
  private text: string | undefined;
  private i32: Int32Array;
  private buffer: Buffer;
  /** Byte address and capacity (entries) of the log of the loaded text. */
  private logAddress = 0;
  private logCapacity = 0;
  /** The text whose whole log is in memory (entries 0..`logEntries`), if any. */
  private logged: string | undefined;
  private logEntries = 0;

  private constructor(
    private readonly exports: ScanExports,
    private readonly counts: PieceCounts,
  ) {
    this.i32 = new Int32Array(exports.memory.buffer);
    this.buffer = Buffer.from(exports.memory.buffer);
    for (let c = 0; c < 128; c++) this.buffer[c] = bmpClassOf(c);
  }

  /** A scanner, or `undefined` when this runtime cannot run WebAssembly (e.g. `--jitless`). */
  static create(counts: PieceCounts): Cl100kWasmScanner | undefined {
    if (compiled === undefined) {
      try {
        compiled = typeof WebAssembly === "object" ? new WebAssembly.Module(CL100K_SCAN_WASM) : null;
      } catch {
        compiled = null;
      }
    }
    if (compiled === null) return undefined;
    let scanner: Cl100kWasmScanner | undefined;
    const miss = (p: number, q: number): number => counts.uncached(scanner!.text!, p, q);
    const instance = new WebAssembly.Instance(compiled, { env: { miss } });
    scanner = new Cl100kWasmScanner(instance.exports as unknown as ScanExports, counts);
    return scanner;
  }

  /** Whether `text` is the loaded text. */
  holds(text: string): boolean {
    return this.text === text;
  }

  /** Whether `text` is loaded and its whole pre-token log, from `count(0, text.length, log)`, is in memory. */
  hasLogOf(text: string): boolean {
    return this.logged === text;
  }

  /**
   * Token count of `[start, end)` (`start < end`) of the text whose log is in memory (see {@link hasLogOf}), as
   * `Cl100kRangeCounter.count` computes it; -1 when a pre-token it must scan depends on a non-ASCII code unit.
   */
  range(start: number, end: number): number {
    return this.exports.range(start, end, this.logAddress, this.logCapacity, this.logEntries);
  }

  /** Copies `text` into memory (with room for its log); `false` when it is longer than {@link MAX_WASM_TEXT}. */
  load(text: string): boolean {
    if (text.length > MAX_WASM_TEXT) return false;
    if (this.text === text) return true;
    const logAddress = TEXT_ADDRESS + ((text.length * 2 + 7) & ~7);
    // One entry per pre-token plus the end: a text has at most as many pre-tokens as code units.
    const logCapacity = text.length + 1;
    const needed = logAddress + logCapacity * 8;
    const memory = this.exports.memory;
    if (needed > memory.buffer.byteLength) {
      memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE));
      this.i32 = new Int32Array(memory.buffer);
      this.buffer = Buffer.from(memory.buffer);
    }
    this.buffer.write(text, TEXT_ADDRESS, "utf16le");
    this.text = text;
    this.logged = undefined;
    this.logAddress = logAddress;
    this.logCapacity = logCapacity;
    return true;
  }

  /**
   * Token count of `[start, end)` of the loaded text (`end` acting as the end of the input). With `log`, records
   * every pre-token of the range in it (from entry 0) followed by an entry for `end`.
   */
  count(start: number, end: number, log: PieceLog | null = null): number {
    const text = this.text!;
    const i32 = this.i32;
    const logAddress = log === null ? 0 : this.logAddress;
    const cap = this.logCapacity;
    const starts = logAddress >> 2;
    const totals = starts + cap;
    i32[TOTAL] = 0;
    i32[COUNT] = 0;
    let p = start;
    for (;;) {
      p = this.exports.scan(p, end, logAddress, cap);
      if (p >= end) break;
      // A pre-token that depends on a non-ASCII code unit: scanned and counted in JavaScript.
      const total: number = i32[TOTAL]!;
      const n: number = i32[COUNT]!;
      if (log !== null) {
        i32[starts + n] = p;
        i32[totals + n] = total;
      }
      const q = nextCl100kPiece(text, p, end);
      i32[TOTAL] = total + this.counts.cached(text, p, q);
      i32[COUNT] = n + 1;
      p = q;
    }
    const total: number = i32[TOTAL]!;
    if (log !== null) {
      const n: number = i32[COUNT]!;
      if (log.starts.length < n + 1) {
        const size = Math.max(n + 1, log.starts.length * 2);
        log.starts = new Int32Array(size);
        log.prefix = new Int32Array(size);
      }
      log.starts.set(i32.subarray(starts, starts + n));
      log.prefix.set(i32.subarray(totals, totals + n));
      log.starts[n] = end;
      log.prefix[n] = total;
      log.n = n;
      i32[starts + n] = end;
      i32[totals + n] = total;
      if (start === 0 && end === text.length) {
        this.logged = text;
        this.logEntries = n;
      }
    }
    return total;
  }
}
