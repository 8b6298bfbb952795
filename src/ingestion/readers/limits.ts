import { StreamdexError } from "../../errors/index.js";

/**
 * A file whose content would unpack to more than a reader limit allows (a DOCX's XML, a PDF's text). Thrown by the
 * format readers before the excess is unpacked; `SimpleDirectoryReader` reports it as a skipped file, with
 * this message (which names the sizes, the limit and the option that raises it), like a file over `maxFileSize`.
 */
export class LimitExceededError extends StreamdexError {
  /** The reader option that raises the limit, e.g. `"maxUncompressedSize"`. */
  readonly option: string;

  constructor(message: string, option: string) {
    super(message, { code: "limit_exceeded" });
    this.option = option;
  }
}

/** `52428800` -> `"50 MiB"`, `1536` -> `"1.5 KiB"`. */
export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number(value.toFixed(1))} ${units[unit]}`;
}
