/**
 * A synchronous reader of a GGUF's metadata, kept by hand because node-llama-cpp's `readGgufFileInfo` (3.21.1)
 * cannot do this job: the `LlamaCpp` and `LlamaCppEmbedding` constructors need the trained context size, the chat
 * template's presence and the name synchronously (for `metadata`, and to throw `InvalidArgumentError` at
 * construction), while `readGgufFileInfo` is async and comes with node-llama-cpp, which loads only when a model is
 * first used. Nor does it give the early errors: on a header cut short (200 bytes of the tiny fixture) it reads the
 * missing bytes as zeros and returns garbage keys without an error, and it accepts any version number (7). The test
 * of the tiny fixtures compares this reader with `readGgufFileInfo` on every field it reads.
 */
import { closeSync, openSync, readSync } from "node:fs";

/** What streamdex needs to know about a GGUF before llama.cpp loads it. */
export interface GgufHeader {
  version: number;
  architecture: string | undefined;
  name: string | undefined;
  /** `<architecture>.context_length`: the context the model was trained with. */
  trainContextSize: number | undefined;
  /** Whether `tokenizer.chat_template` is set. */
  hasChatTemplate: boolean;
}

/** The file is not a GGUF, or its header is cut short or malformed. */
export class GgufHeaderError extends Error {}

const CHUNK = 1 << 20;
const SCALAR_SIZES: Record<number, number> = {
  0: 1,
  1: 1,
  2: 2,
  3: 2,
  4: 4,
  5: 4,
  6: 4,
  7: 1,
  10: 8,
  11: 8,
  12: 8,
};
const STRING = 8;
const ARRAY = 9;

/** A forward-only reader over a file descriptor, reading 1 MB at a time. */
class FileCursor {
  private buf = Buffer.alloc(0);
  private at = 0;
  private filePos = 0;

  constructor(private readonly fd: number) {}

  private need(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const rest = this.buf.subarray(this.at);
    const next = Buffer.alloc(Math.max(CHUNK, n));
    const read = readSync(this.fd, next, 0, next.length, this.filePos);
    this.filePos += read;
    this.buf = Buffer.concat([rest, next.subarray(0, read)]);
    this.at = 0;
    if (this.buf.length < n) throw new GgufHeaderError("the header is cut short (truncated file)");
  }

  bytes(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  u32(): number {
    return this.bytes(4).readUInt32LE(0);
  }

  u64(): number {
    const v = this.bytes(8).readBigUInt64LE(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER))
      throw new GgufHeaderError("a length in the header is implausible");
    return Number(v);
  }

  string(): string {
    const n = this.u64();
    if (n > 1 << 28) throw new GgufHeaderError("a string in the header is implausibly long");
    return this.bytes(n).toString("utf8");
  }

  skip(n: number): void {
    while (n > 0) {
      const step = Math.min(n, CHUNK);
      this.bytes(step);
      n -= step;
    }
  }
}

/** The first 4 bytes of the file, as text for an error message. */
export function readMagic(path: string): Buffer {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(4);
    const n = readSync(fd, b, 0, 4, 0);
    return b.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a GGUF's metadata (not its tensors) synchronously: architecture, trained context size, whether it ships a
 * chat template. Throws {@link GgufHeaderError} for anything that is not a readable GGUF v2/v3 header.
 */
export function readGgufHeader(path: string): GgufHeader {
  const fd = openSync(path, "r");
  try {
    const c = new FileCursor(fd);
    if (c.bytes(4).toString("latin1") !== "GGUF") throw new GgufHeaderError('it does not start with "GGUF"');
    const version = c.u32();
    if (version !== 2 && version !== 3) throw new GgufHeaderError(`GGUF version ${version} is not supported`);
    c.u64();
    const kvCount = c.u64();
    const values = new Map<string, string | number>();
    let hasChatTemplate = false;
    for (let i = 0; i < kvCount; i++) {
      const key = c.string();
      const type = c.u32();
      if (type === STRING) {
        const value = c.string();
        if (key === "tokenizer.chat_template") hasChatTemplate = value.trim() !== "";
        else if (key.startsWith("general.")) values.set(key, value);
      } else if (type === ARRAY) {
        skipArray(c);
      } else {
        const size = SCALAR_SIZES[type];
        if (size === undefined) throw new GgufHeaderError(`unknown metadata type ${type} for "${key}"`);
        const raw = c.bytes(size);
        if (key.endsWith(".context_length"))
          values.set(key, size === 8 ? Number(raw.readBigUInt64LE(0)) : raw.readUInt32LE(0));
      }
    }
    const architecture = asString(values.get("general.architecture"));
    const ctx = architecture === undefined ? undefined : values.get(`${architecture}.context_length`);
    return {
      version,
      architecture,
      name: asString(values.get("general.name")),
      trainContextSize: typeof ctx === "number" && ctx > 0 ? ctx : undefined,
      hasChatTemplate,
    };
  } finally {
    closeSync(fd);
  }
}

function skipArray(c: FileCursor): void {
  const type = c.u32();
  const count = c.u64();
  if (type === STRING) {
    for (let i = 0; i < count; i++) c.skip(c.u64());
    return;
  }
  if (type === ARRAY) {
    for (let i = 0; i < count; i++) skipArray(c);
    return;
  }
  const size = SCALAR_SIZES[type];
  if (size === undefined) throw new GgufHeaderError(`unknown array element type ${type}`);
  c.skip(size * count);
}

function asString(v: string | number | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}
