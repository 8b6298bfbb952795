import { JSON_ESCAPE_WASM } from "./json-escape-wasm.js";

/** Longest string escaped in WebAssembly (code units); longer ones go through `JSON.stringify`. */
export const MAX_WASM_JSON_STRING = 1 << 18;
/** Where the UTF-8 input starts in the module's memory (see json-escape.wat); the escaped output follows it. */
const INPUT = 64;
const PAGE = 65536;

const QUOTE = 0x22;
const COMMA = 0x2c;
const LBRACK = 0x5b;
const RBRACK = 0x5d;

interface EscapeExports {
  memory: WebAssembly.Memory;
  escape(src: number, n: number, dst: number): number;
}

/**
 * The json-escape.wat module with room for strings of up to `capacity` code units: their UTF-8 (at most 3 bytes a
 * code unit) at {@link INPUT}, the escaped bytes after it: at most 6 a code unit (a control character), plus a
 * 16-byte block of slack. The memory grows with the longest string seen, up to {@link MAX_WASM_JSON_STRING} code
 * units (about 2.4 MB).
 */
class WasmEscaper {
  private capacity = 0;
  private memory!: Buffer;
  private output = 0;

  constructor(private readonly exports: EscapeExports) {
    this.reserve(4096);
  }

  /** Escapes `text` into the output area; returns its length in bytes. */
  escape(text: string): number {
    if (text.length > this.capacity) this.reserve(Math.max(text.length, 2 * this.capacity));
    const n = this.memory.write(text, INPUT, this.output - INPUT);
    return this.exports.escape(INPUT, n, this.output);
  }

  /** Copies the first `bytes` escaped bytes to `target` at `at`. */
  copyTo(target: Buffer, at: number, bytes: number): number {
    return this.memory.copy(target, at, this.output, this.output + bytes);
  }

  private reserve(codeUnits: number): void {
    this.capacity = Math.min(codeUnits, MAX_WASM_JSON_STRING);
    this.output = INPUT + 3 * this.capacity;
    const bytes = this.output + 6 * this.capacity + 16;
    const memory = this.exports.memory;
    if (bytes > memory.buffer.byteLength) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
    this.memory = Buffer.from(memory.buffer);
  }
}

/** One escaper per thread; `null` when this runtime has no WebAssembly. */
let escaper: WasmEscaper | null | undefined;

function loadEscaper(): WasmEscaper | null {
  if (escaper === undefined) {
    try {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(JSON_ESCAPE_WASM));
      escaper = new WasmEscaper(instance.exports as unknown as EscapeExports);
    } catch {
      escaper = null;
    }
  }
  return escaper;
}

const wellFormed: (text: string) => boolean =
  "isWellFormed" in String.prototype
    ? (text) => (text as string & { isWellFormed(): boolean }).isWellFormed()
    : (text) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);

/**
 * The UTF-8 bytes of `head + JSON.stringify(strings) + tail`, byte for byte, without building that string.
 *
 * A large request body (an embedding batch is megabytes of text) costs `JSON.stringify` a pass over every
 * character, then the socket another to encode the result as UTF-8. Here each string is encoded once by Node
 * straight into WebAssembly memory and escaped there sixteen bytes at a time (json-escape.wat). Strings that are
 * not well-formed UTF-16 (lone surrogates, which `JSON.stringify` writes as `\udxxx`) or longer than
 * {@link MAX_WASM_JSON_STRING} code units, and runtimes without WebAssembly, use `JSON.stringify`.
 *
 * @internal
 */
export function jsonArrayBytes(head: string, strings: readonly string[], tail: string): Buffer {
  const wasm = loadEscaper();
  if (!wasm) return Buffer.from(head + JSON.stringify(strings) + tail);
  const tailBytes = Buffer.byteLength(tail);
  let chars = 0;
  for (const text of strings) chars += text.length;
  // ASCII with a few escapes fits; anything longer grows the buffer.
  let out = Buffer.allocUnsafe(
    Buffer.byteLength(head) + chars + (chars >> 6) + 3 * strings.length + tailBytes + 2,
  );
  let pos = out.write(head, 0);
  const reserve = (bytes: number): void => {
    if (pos + bytes + tailBytes + 1 <= out.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * out.length, pos + bytes + tailBytes + 1));
    out.copy(grown, 0, 0, pos);
    out = grown;
  };
  out[pos++] = LBRACK;
  for (let i = 0; i < strings.length; i++) {
    const text = strings[i]!;
    if (text.length <= MAX_WASM_JSON_STRING && wellFormed(text)) {
      const escaped = wasm.escape(text);
      reserve(escaped + 3);
      if (i > 0) out[pos++] = COMMA;
      out[pos++] = QUOTE;
      pos += wasm.copyTo(out, pos, escaped);
      out[pos++] = QUOTE;
    } else {
      const json = JSON.stringify(text);
      reserve(Buffer.byteLength(json) + 1);
      if (i > 0) out[pos++] = COMMA;
      pos += out.write(json, pos);
    }
  }
  out[pos++] = RBRACK;
  pos += out.write(tail, pos);
  return out.subarray(0, pos);
}
