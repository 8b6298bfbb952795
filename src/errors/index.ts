import { StreamdexError } from "./streamdex-error.js";

export { StreamdexError };

/**
 * A feature the chosen component does not implement, most often: a streaming engine was given an LLM that cannot
 * stream. Thrown before any retrieval or LLM work is spent.
 */
export class NotImplementedError extends StreamdexError {
  constructor(message: string) {
    super(message, { code: "not_implemented" });
  }
}

/** A value passed to a constructor or a method is missing, of the wrong type or out of range. */
export class InvalidArgumentError extends StreamdexError {
  /** The option or argument at fault, e.g. `"similarityTopK"`. */
  readonly argument: string;

  constructor(argument: string, message: string) {
    super(`Invalid ${argument}: ${message}`, { code: "invalid_argument" });
    this.argument = argument;
  }
}

/** The operation was cancelled by `cancel()`, `break` or an aborted `AbortSignal`. */
export class AbortError extends StreamdexError {
  /** Text delivered before the abort, when a stream was aborted mid-way. */
  readonly partialText: string;

  constructor(message = "The operation was aborted.", options?: { cause?: unknown; partialText?: string }) {
    super(message, { code: "aborted", cause: options?.cause });
    this.partialText = options?.partialText ?? "";
  }
}

/**
 * A stream failed after it had started delivering text. The text delivered before the failure is kept on
 * {@link StreamInterruptedError.partialText}, so nothing that reached the user is lost.
 */
export class StreamInterruptedError extends StreamdexError {
  /** Every delta delivered before the failure, concatenated. */
  readonly partialText: string;

  constructor(message: string, partialText: string, options?: { cause?: unknown }) {
    super(message, { code: "stream_interrupted", ...options });
    this.partialText = partialText;
  }
}

/** A stream was iterated by a second consumer while the first was still reading it. */
export class StreamConsumedError extends StreamdexError {
  constructor(message: string) {
    super(message, { code: "stream_consumed" });
  }
}

/** An optional peer dependency a provider needs is not installed. The message says what to install. */
export class MissingDependencyError extends StreamdexError {
  /** The npm package to install. */
  readonly packageName: string;

  constructor(packageName: string, options?: { subpath?: string; cause?: unknown }) {
    super(
      `${options?.subpath ?? "streamdex"} needs the optional package "${packageName}": run \`npm install ${packageName}\`.`,
      { code: "missing_dependency", cause: options?.cause },
    );
    this.packageName = packageName;
  }
}

/** A file could not be read or decoded as text (binary, not UTF-8, unreadable, empty). */
export class ReaderError extends StreamdexError {
  /** The file at fault. */
  readonly filePath: string;

  constructor(filePath: string, message: string, options?: { cause?: unknown }) {
    super(`${filePath}: ${message}`, { code: "reader_error", ...options });
    this.filePath = filePath;
  }
}

/** Persisted data could not be loaded: missing, corrupt or written by an incompatible version. */
export class StorageError extends StreamdexError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { code: "storage_error", ...options });
  }
}

/** Whether `error` is an abort: ours, the DOM's `AbortError`, or a signal's reason. */
export function isAbortError(error: unknown): boolean {
  if (error instanceof AbortError) return true;
  return error instanceof Error && (error.name === "AbortError" || error.name === "APIUserAbortError");
}
export * from "./provider-errors.js";
