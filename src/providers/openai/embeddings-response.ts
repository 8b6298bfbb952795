import { MalformedResponseError } from "../../errors/index.js";

/**
 * Decodes the body of a `/v1/embeddings` answer straight from its bytes into one `Float32Array` slab, returning
 * one view per input in input order.
 *
 * `JSON.parse` of a batch answer would first decode ~8 KB of base64 text per vector into a JS string, then parse
 * it into another, then decode that; for a large ingestion that is most of the client's CPU and garbage. Here the
 * body is scanned as bytes: the structure (`{"data":[{"index":i,"embedding":…},…],…}`) is checked, small values
 * (`index`, `object`, `usage`…) go through `JSON.parse`, and each `embedding` is decoded where it lies: base64
 * into the slab with Node's decoder, or a float array (`encoding_format: "float"`) number by number. Anything
 * that is not a well-formed answer with exactly one vector per input, all of one length, is a
 * {@link MalformedResponseError} naming what was wrong.
 *
 * @internal
 */
export function decodeEmbeddingsBody(body: Buffer, inputs: number, what: string): Float32Array[] {
  const scanner = new ByteScanner(body, what);
  const fail = (detail: string): never => scanner.fail(detail);
  const slab = new SlabWriter(inputs, fail);
  scanner.expect(LBRACE);
  let sawData = false;
  let errorValue: unknown;
  scanner.members(() => {
    const key = scanner.key();
    if (key === "data") {
      sawData = true;
      decodeData(scanner, slab);
    } else if (key === "error") {
      errorValue = scanner.value();
    } else {
      scanner.skip();
    }
  });
  scanner.end();
  if (!sawData) {
    const message = (errorValue as { message?: unknown } | undefined)?.message;
    fail(`no "data" array in the answer${typeof message === "string" ? ` (error: ${message})` : ""}`);
  }
  return slab.result();
}

const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACK = 0x5b;
const RBRACK = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;

/** `data`: an array of `{ index, embedding, … }` objects. */
function decodeData(scanner: ByteScanner, slab: SlabWriter): void {
  scanner.expect(LBRACK);
  scanner.elements(() => {
    scanner.expect(LBRACE);
    let index: unknown;
    let row = -1;
    scanner.members(() => {
      const key = scanner.key();
      if (key === "index") index = scanner.value();
      else if (key === "embedding") row = decodeEmbedding(scanner, slab);
      else scanner.skip();
    });
    if (row < 0) scanner.fail(`item ${slab.rows} has no "embedding"`);
    slab.setIndex(row, index);
  });
}

/** One `embedding` value, written as the next row of the slab; returns the row. */
function decodeEmbedding(scanner: ByteScanner, slab: SlabWriter): number {
  if (scanner.peek() === QUOTE) {
    const [start, end] = scanner.stringSpan();
    const body = scanner.bytes;
    // Base64 never needs escapes; a server that escapes "/" as "\/" takes the general path.
    const text = body.subarray(start, end).includes(BACKSLASH)
      ? (JSON.parse(body.toString("utf8", start - 1, end + 1)) as string)
      : body.toString("latin1", start, end);
    return slab.writeBase64(text);
  }
  const values = scanner.value();
  if (!Array.isArray(values)) scanner.fail(`item ${slab.rows}'s embedding is neither base64 nor an array`);
  return slab.writeNumbers(values as unknown[]);
}

/** Rows of one length in one Float32Array, placed by their `index`. */
class SlabWriter {
  rows = 0;
  private dims = -1;
  private slab: Float32Array = new Float32Array(0);
  private bytes: Buffer = Buffer.alloc(0);
  private readonly byIndex: (Float32Array | undefined)[];

  constructor(
    private readonly inputs: number,
    private readonly fail: (detail: string) => never,
  ) {
    this.byIndex = new Array<Float32Array | undefined>(inputs).fill(undefined);
  }

  /** Reserves the next row for a vector of `dims` values and returns its offset in floats. */
  private next(dims: number): number {
    if (this.rows >= this.inputs) this.fail(`more than ${this.inputs} vectors for ${this.inputs} inputs`);
    if (this.dims < 0) {
      if (dims === 0) this.fail("an empty vector");
      this.dims = dims;
      this.slab = new Float32Array(this.inputs * dims);
      this.bytes = Buffer.from(this.slab.buffer, this.slab.byteOffset, this.slab.byteLength);
    } else if (dims !== this.dims) {
      this.fail(`vectors of ${this.dims} and ${dims} values in one answer`);
    }
    return this.rows++ * dims;
  }

  writeBase64(text: string): number {
    const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
    const byteLength = (text.length / 4) * 3 - padding;
    if (text.length % 4 !== 0 || byteLength % 4 !== 0) {
      this.fail(`a base64 vector of ${text.length} characters is not a whole number of float32 values`);
    }
    const offset = this.next(byteLength / 4);
    const written = this.bytes.write(text, offset * 4, byteLength, "base64");
    // Node's decoder skips characters outside the alphabet, so a corrupt vector comes out short.
    if (written !== byteLength) this.fail("a vector is not valid base64");
    return this.rows - 1;
  }

  writeNumbers(values: unknown[]): number {
    const offset = this.next(values.length);
    for (let j = 0; j < values.length; j++) {
      const v = values[j];
      if (typeof v !== "number") this.fail(`a vector holds ${typeof v} at position ${j}`);
      this.slab[offset + j] = v as number;
    }
    return this.rows - 1;
  }

  setIndex(row: number, index: unknown): void {
    if (!(typeof index === "number" && Number.isInteger(index) && index >= 0 && index < this.inputs)) {
      this.fail(`bad index ${JSON.stringify(index)} (expected 0..${this.inputs - 1})`);
    }
    const i = index as number;
    if (this.byIndex[i] !== undefined) this.fail(`index ${i} appears twice`);
    this.byIndex[i] = this.slab.subarray(row * this.dims, (row + 1) * this.dims);
  }

  result(): Float32Array[] {
    if (this.rows !== this.inputs) this.fail(`${this.rows} vectors for ${this.inputs} inputs`);
    return this.byIndex as Float32Array[];
  }
}

/** A cursor over JSON bytes: structure is checked here, small values are handed to `JSON.parse`. */
class ByteScanner {
  pos = 0;

  constructor(
    readonly bytes: Buffer,
    private readonly what: string,
  ) {}

  fail(detail: string): never {
    throw new MalformedResponseError(`${this.what}: malformed answer: ${detail}.`, { provider: "openai" });
  }

  /** The next non-whitespace byte (-1 at the end), without consuming it. */
  peek(): number {
    const b = this.bytes;
    let p = this.pos;
    while (p < b.length) {
      const c = b[p]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      p++;
    }
    this.pos = p;
    return p < b.length ? b[p]! : -1;
  }

  expect(byte: number): void {
    if (this.peek() !== byte) this.fail(`expected "${String.fromCharCode(byte)}" at byte ${this.pos}`);
    this.pos++;
  }

  /** Calls `member` for each `"key": value` of an object whose `{` was consumed; consumes the `}`. */
  members(member: () => void): void {
    this.list(RBRACE, member);
  }

  /** Calls `element` for each value of an array whose `[` was consumed; consumes the `]`. */
  elements(element: () => void): void {
    this.list(RBRACK, element);
  }

  private list(close: number, item: () => void): void {
    if (this.peek() === close) {
      this.pos++;
      return;
    }
    for (;;) {
      item();
      const c = this.peek();
      this.pos++;
      if (c === close) return;
      if (c !== COMMA) this.fail(`expected "," or "${String.fromCharCode(close)}" at byte ${this.pos - 1}`);
    }
  }

  /** An object key and its colon. */
  key(): string {
    if (this.peek() !== QUOTE) this.fail(`expected a key at byte ${this.pos}`);
    const key = this.value();
    this.expect(COLON);
    return key as string;
  }

  /** `[start, end)` of the contents of the string at the cursor (past its closing quote afterwards). */
  stringSpan(): [number, number] {
    const b = this.bytes;
    const start = this.pos + 1;
    let q = start;
    for (;;) {
      q = b.indexOf(QUOTE, q);
      if (q < 0) this.fail("unterminated string");
      let slashes = 0;
      while (b[q - 1 - slashes] === BACKSLASH) slashes++;
      if (slashes % 2 === 0) break;
      q++;
    }
    this.pos = q + 1;
    return [start, q];
  }

  /** Skips one value; returns its `[start, end)`. */
  skip(): [number, number] {
    const b = this.bytes;
    const c = this.peek();
    const start = this.pos;
    if (c === QUOTE) {
      this.stringSpan();
    } else if (c === LBRACE || c === LBRACK) {
      let depth = 0;
      while (this.pos < b.length) {
        const d = b[this.pos]!;
        if (d === QUOTE) {
          this.stringSpan();
          continue;
        }
        this.pos++;
        if (d === LBRACE || d === LBRACK) depth++;
        else if ((d === RBRACE || d === RBRACK) && --depth === 0) break;
      }
      if (depth !== 0) this.fail("unterminated object or array");
    } else {
      // A number or a literal: up to the next delimiter.
      while (this.pos < b.length) {
        const d = b[this.pos]!;
        if (d === COMMA || d === RBRACE || d === RBRACK || d <= 0x20) break;
        this.pos++;
      }
      if (this.pos === start) this.fail(`expected a value at byte ${start}`);
    }
    return [start, this.pos];
  }

  /** Parses one (small) value with `JSON.parse`. */
  value(): unknown {
    const [start, end] = this.skip();
    try {
      return JSON.parse(this.bytes.toString("utf8", start, end));
    } catch {
      return this.fail(`invalid JSON value at byte ${start}`);
    }
  }

  /** Checks that only whitespace follows. */
  end(): void {
    if (this.peek() !== -1) this.fail(`unexpected data after the answer at byte ${this.pos}`);
  }
}
