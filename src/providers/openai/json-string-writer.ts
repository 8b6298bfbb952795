import { JSON_ESCAPE_WASM } from "./json-escape-wasm.js";

/** Longest string escaped in WebAssembly (code units); longer ones go through `JSON.stringify`, so memory stays fixed. */
export const MAX_WASM_JSON_STRING = 1 << 18;
/** Where the UTF-8 input and the escaped output lie in the module's memory (see json-escape.wat). */
const INPUT = 64;
const INPUT_CAPACITY = 3 * MAX_WASM_JSON_STRING;
const OUTPUT = INPUT + INPUT_CAPACITY;
const MEMORY_BYTES = OUTPUT + 6 * INPUT_CAPACITY + 16;
const PAGE = 65536;

const QUOTE = 0x22;
const COMMA = 0x2c;
const LBRACK = 0x5b;
const RBRACK = 0x5d;

interface EscapeExports {
  memory: WebAssembly.Memory;
  escape(src: number, n: number, dst: number): number;
}

/** The module's exports and a `Buffer` over its memory; `null` when this runtime has no WebAssembly. */
let escaper: { exports: EscapeExports; memory: Buffer } | null | undefined;

function loadEscaper(): typeof escaper {
  if (escaper !== undefined) return escaper;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(JSON_ESCAPE_WASM));
    const exports = instance.exports as unknown as EscapeExports;
    exports.memory.grow(Math.ceil(MEMORY_BYTES / PAGE) - exports.memory.buffer.byteLength / PAGE);
    escaper = { exports, memory: Buffer.from(exports.memory.buffer) };
  } catch {
    escaper = null;
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
      const n = wasm.memory.write(text, INPUT, INPUT_CAPACITY);
      const escaped = wasm.exports.escape(INPUT, n, OUTPUT);
      reserve(escaped + 3);
      if (i > 0) out[pos++] = COMMA;
      out[pos++] = QUOTE;
      pos += wasm.memory.copy(out, pos, OUTPUT, OUTPUT + escaped);
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
