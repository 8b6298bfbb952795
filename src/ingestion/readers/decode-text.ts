/** Bytes scanned for NUL bytes to tell binary files from text (as `git` and `grep` do). */
const BINARY_SNIFF_BYTES = 8192;

/** The outcome of {@link decodeText}: the text, or why the bytes are not usable text. */
export type DecodeResult = { ok: true; text: string } | { ok: false; reason: string };

/**
 * Decodes a file's bytes as text, rejecting what is not text: empty files, binary files (a NUL byte in the
 * first 8 KB) and bytes that are invalid in `encoding` (decoded with `fatal: true`, so nothing is silently
 * replaced by U+FFFD). A leading byte-order mark is removed.
 *
 * @example
 * ```ts
 * decodeText(new Uint8Array([0xff, 0xfe, 0x41])); // { ok: false, reason: "it is not valid utf-8 text ..." }
 * ```
 */
export function decodeText(bytes: Uint8Array, encoding = "utf-8"): DecodeResult {
  if (bytes.length === 0) return { ok: false, reason: "it is empty (0 bytes)" };
  // NUL bytes are legitimate in UTF-16/32 text only.
  if (!/^utf-?(16|32)/i.test(encoding)) {
    const end = Math.min(bytes.length, BINARY_SNIFF_BYTES);
    for (let i = 0; i < end; i++) {
      if (bytes[i] === 0) return { ok: false, reason: "it looks binary (NUL bytes in its first 8 KB)" };
    }
  }
  let text: string;
  try {
    text = new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
    const hint = utf16 ? "it starts with a UTF-16 byte-order mark: set encoding" : "set encoding";
    return {
      ok: false,
      reason: `it is not valid ${encoding} text (${hint} if it is text in another encoding)`,
    };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (!/\S/.test(text)) return { ok: false, reason: "it is empty (whitespace only)" };
  return { ok: true, text };
}
