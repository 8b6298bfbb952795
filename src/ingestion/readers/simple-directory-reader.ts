import type { Dirent, Stats } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { InvalidArgumentError, ReaderError } from "../../errors/index.js";
import { Document, type Metadata } from "../../schema/node.js";
import { describe, optionalBoolean } from "../../utils/validate.js";
import { decodeText } from "./decode-text.js";
import {
  DEFAULT_EXTENSIONS,
  type FileSection,
  formatFor,
  PDF_MIME_TYPE,
  type PdfPagesMode,
} from "./file-readers.js";
import { globToRegExp, matchesAny } from "./glob.js";
import { formatBytes, LimitExceededError } from "./limits.js";
import { notRegularFile, type RegularFileRead, readRegularFile } from "./regular-file.js";

/** Files read at the same time. */
const CONCURRENCY = 16;

/** Metadata keys the reader sets that are hidden from the embedding model and the LLM. */
const EXCLUDED_METADATA_KEYS = ["file_path", "file_type", "file_size", "last_modified_date", "page_count"];

/** Default {@link SimpleDirectoryReaderOptions.maxFileSize}: 50 MiB. */
export const DEFAULT_MAX_FILE_SIZE = 50 * 1024 * 1024;

/** Default {@link SimpleDirectoryReaderOptions.maxUncompressedSize}: 16 MiB. */
export const DEFAULT_MAX_UNCOMPRESSED_SIZE = 16 * 1024 * 1024;

export type { PdfPagesMode };

/** Options of {@link SimpleDirectoryReader}. */
export interface SimpleDirectoryReaderOptions {
  /** Descend into sub-directories (default `true`). */
  recursive?: boolean;
  /**
   * Only read files with these extensions (e.g. `[".md"]`); extensions that are not read by default are then
   * read as plain text. Default: `.txt`, `.md`, `.markdown`, `.json`, `.html`, `.htm`, `.csv`, `.pdf`, `.docx`.
   */
  requiredExts?: string[];
  /**
   * Globs (picomatch's) of files or directories to skip, relative to the input directory: `*`, `?`, `**`, `[abc]`,
   * `{a,b}`; `\` escapes. One without `/` matches a name at any depth (`"*.{log,tmp}"`, `"node_modules"`). An
   * unclosed `{`, `[` or `(`, or a leading `!`, throws {@link InvalidArgumentError}.
   */
  exclude?: string[];
  /** Skip files and directories whose name starts with `.` (default `true`). */
  excludeHidden?: boolean;
  /** A file that cannot be read as text is skipped with a warning (`"warn"`, default) or throws (`"error"`). */
  onError?: "warn" | "error";
  /**
   * Files larger than this many bytes are skipped (checked before reading them into memory), with a warning or,
   * with `onError: "error"`, a {@link ReaderError}. Default {@link DEFAULT_MAX_FILE_SIZE} (50 MiB). It also limits
   * the text of a PDF, in characters (a PDF's content is compressed: a small one can hold much more text):
   * extraction stops past it and the PDF is skipped the same way.
   */
  maxFileSize?: number;
  /**
   * A DOCX (a zip of XML parts) whose parts would unpack to more than this many bytes is skipped, with a warning
   * or, with `onError: "error"`, a {@link ReaderError}: a small `.docx` can hold gigabytes of XML, and parsing it
   * takes about a hundred times its size in memory. Each part's size is taken from the zip's directory and
   * checked before the part is unpacked. Default {@link DEFAULT_MAX_UNCOMPRESSED_SIZE} (16 MiB of XML, a few
   * thousand pages of text; up to ~2 GB of memory to parse).
   */
  maxUncompressedSize?: number;
  /**
   * One Document per PDF, pages separated by blank lines (`"join"`, default), or one per page with text
   * (`"split"`; metadata `page_label`, id `<path>#page=<n>`). Both set `page_count`.
   */
  pdfPages?: PdfPagesMode;
  /** Text encoding of the files, any `TextDecoder` label (default `"utf-8"`). */
  encoding?: string;
  /** Extra metadata for a file (by absolute path); merged over the default metadata. */
  fileMetadata?: (filePath: string) => Metadata;
  /** Receives warnings about skipped files (default: `process.emitWarning(message, "StreamdexReaderWarning")`). */
  onWarning?: (message: string) => void;
}

/** What {@link SimpleDirectoryReader.loadData} reads: a directory, or a list of files. */
export type SimpleDirectoryReaderInput = string | { directoryPath?: string; inputFiles?: string[] };

interface FileEntry {
  absolute: string;
  /** A symlink met while listing a directory: skipped quietly if it leads to a directory. */
  listedSymlink: boolean;
}

/**
 * Reads a directory (or a list of files) into {@link Document}s, one per file, like LlamaIndex's
 * `SimpleDirectoryReader`. Reads `.txt`, `.md`, `.json` (as a readable outline), `.html` (its main text: no
 * tags, scripts, navigation, site header or footer), `.csv` (rows as `column: value` lines), `.pdf` (its text
 * layer; `pdfPages: "split"` for one Document per page) and `.docx`; the PDF, DOCX and CSV parsers are
 * imported only when such a file is met. Each document's id is the file's absolute path, so re-ingesting a file
 * replaces it, and its metadata holds `file_path`, `file_name`, `file_type`, `file_size` and
 * `last_modified_date` (all but `file_name` hidden from embeddings and prompts), plus `page_count` for PDFs.
 * Documents come sorted by path.
 *
 * A file that is unreadable, binary, not valid text, corrupt, encrypted, empty, larger than `maxFileSize`, or
 * that would unpack to more than `maxUncompressedSize` (a DOCX) or `maxFileSize` characters of text (a PDF), or
 * that is not a regular file (a FIFO, socket or device, never opened in a way that could block) is skipped with a warning naming it (or, with `onError: "error"`, throws a {@link ReaderError}); one bad file
 * never stops the others from loading.
 *
 * @example
 * ```ts
 * const docs = await new SimpleDirectoryReader({ requiredExts: [".md"], exclude: ["drafts/**"] }).loadData("./docs");
 * ```
 */
export class SimpleDirectoryReader {
  private readonly recursive: boolean;
  private readonly extensions: Set<string>;
  private readonly excludeGlobs: RegExp[];
  private readonly excludeHidden: boolean;
  private readonly onError: "warn" | "error";
  private readonly maxFileSize: number;
  private readonly maxUncompressedSize: number;
  private readonly pdfPages: PdfPagesMode;
  private readonly encoding: string;
  private readonly fileMetadata: ((filePath: string) => Metadata) | undefined;
  private readonly onWarning: (message: string) => void;

  constructor(options: SimpleDirectoryReaderOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new InvalidArgumentError("options", `expected an object, got ${describe(options)}.`);
    }
    this.recursive = optionalBoolean("recursive", options.recursive, true);
    this.excludeHidden = optionalBoolean("excludeHidden", options.excludeHidden, true);
    this.extensions = new Set(
      stringList("requiredExts", options.requiredExts, DEFAULT_EXTENSIONS).map(normalizeExt),
    );
    this.excludeGlobs = stringList("exclude", options.exclude, []).map((glob) =>
      globToRegExp(glob, "exclude"),
    );
    if (options.onError !== undefined && options.onError !== "warn" && options.onError !== "error") {
      throw new InvalidArgumentError(
        "onError",
        `expected "warn" or "error", got ${describe(options.onError)}.`,
      );
    }
    this.onError = options.onError ?? "warn";
    const {
      maxFileSize = DEFAULT_MAX_FILE_SIZE,
      maxUncompressedSize = DEFAULT_MAX_UNCOMPRESSED_SIZE,
      pdfPages = "join",
    } = options;
    this.maxFileSize = byteCount("maxFileSize", maxFileSize);
    this.maxUncompressedSize = byteCount("maxUncompressedSize", maxUncompressedSize);
    if (pdfPages !== "join" && pdfPages !== "split") {
      throw new InvalidArgumentError("pdfPages", `expected "join" or "split", got ${describe(pdfPages)}.`);
    }
    this.pdfPages = pdfPages;
    this.encoding = options.encoding ?? "utf-8";
    try {
      new TextDecoder(this.encoding);
    } catch {
      throw new InvalidArgumentError(
        "encoding",
        `${describe(options.encoding)} is not an encoding TextDecoder knows.`,
      );
    }
    this.fileMetadata = optionalFunction("fileMetadata", options.fileMetadata);
    this.onWarning =
      optionalFunction("onWarning", options.onWarning) ??
      ((message) => process.emitWarning(message, "StreamdexReaderWarning"));
  }

  /**
   * The files {@link SimpleDirectoryReader.loadData} would read for `input` (same extensions, exclusions and hidden
   * rules), sorted, without reading them: for incremental ingestion, which reads only what changed.
   */
  async listFiles(input: SimpleDirectoryReaderInput): Promise<string[]> {
    return (await this.listInput(input)).map((entry) => entry.absolute);
  }

  /**
   * Reads every matching file of a directory, or the given files, into Documents sorted by path.
   *
   * @param input A directory or file path, or `{ directoryPath }`, or `{ inputFiles }` (read whatever their
   *   extension).
   * @throws ReaderError when the directory or an input file does not exist, or (with `onError: "error"`) when a
   *   file cannot be read as text.
   */
  async loadData(input: SimpleDirectoryReaderInput): Promise<Document[]> {
    const entries = await this.listInput(input);
    const documents: (Document[] | undefined)[] = new Array(entries.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < entries.length) {
        const index = next++;
        documents[index] = await this.readEntry(entries[index]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, entries.length) }, worker));
    return documents.flatMap((docs) => docs ?? []);
  }

  private async listInput(input: SimpleDirectoryReaderInput): Promise<FileEntry[]> {
    if (typeof input === "string") {
      if (input === "") {
        throw new InvalidArgumentError("input", "expected a directory or file path, got an empty string.");
      }
      const absolute = path.resolve(input);
      const stats = await statOrThrow(absolute, "Check the path passed to loadData().");
      if (stats.isDirectory()) return this.listDirectory(absolute);
      return [{ absolute, listedSymlink: false }];
    }
    if (input === null || typeof input !== "object") {
      throw new InvalidArgumentError(
        "input",
        `expected a path or { directoryPath } or { inputFiles }, got ${describe(input)}.`,
      );
    }
    const { directoryPath, inputFiles } = input;
    if ((directoryPath === undefined) === (inputFiles === undefined)) {
      throw new InvalidArgumentError("input", "pass exactly one of directoryPath and inputFiles.");
    }
    if (directoryPath !== undefined) {
      if (typeof directoryPath !== "string" || directoryPath === "") {
        throw new InvalidArgumentError("directoryPath", `expected a path, got ${describe(directoryPath)}.`);
      }
      const absolute = path.resolve(directoryPath);
      const stats = await statOrThrow(absolute, "Check directoryPath.");
      if (!stats.isDirectory()) {
        throw new ReaderError(absolute, "is not a directory. Use inputFiles to read files.");
      }
      return this.listDirectory(absolute);
    }
    const files = stringList("inputFiles", inputFiles, []);
    const entries: FileEntry[] = [];
    for (const file of files) {
      const absolute = path.resolve(file);
      await statOrThrow(absolute, "Check inputFiles.");
      entries.push({ absolute, listedSymlink: false });
    }
    return entries.sort((x, y) => compare(x.absolute, y.absolute));
  }

  /** Every file to read under `root`, sorted by path. */
  private async listDirectory(root: string): Promise<FileEntry[]> {
    const found: FileEntry[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let dirents: Dirent[];
      try {
        dirents = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (dir === root) throw new ReaderError(root, `cannot be listed: ${reason(error)}`, { cause: error });
        this.problem(dir, `the directory cannot be listed (${reason(error)})`, error);
        return;
      }
      const subdirectories: Promise<void>[] = [];
      for (const dirent of dirents) {
        const name = dirent.name;
        if (this.excludeHidden && name.startsWith(".")) continue;
        const childRel = rel === "" ? name : `${rel}/${name}`;
        const absolute = path.join(dir, name);
        if (dirent.isDirectory()) {
          if (
            this.recursive &&
            !matchesAny(childRel, this.excludeGlobs) &&
            !matchesAny(`${childRel}/`, this.excludeGlobs)
          ) {
            subdirectories.push(walk(absolute, childRel));
          }
          continue;
        }
        const ext = normalizeExt(path.extname(name));
        if (!this.extensions.has(ext) || matchesAny(childRel, this.excludeGlobs)) continue;
        found.push({ absolute, listedSymlink: dirent.isSymbolicLink() });
      }
      await Promise.all(subdirectories);
    };
    await walk(root, "");
    return found.sort((x, y) => compare(x.absolute, y.absolute));
  }

  /** Reads one file into Documents (several for a PDF split by page), or reports why it cannot: undefined. */
  private async readEntry(entry: FileEntry): Promise<Document[] | undefined> {
    const { absolute } = entry;
    let read: RegularFileRead;
    try {
      read = await readRegularFile(absolute, this.maxFileSize);
    } catch (error) {
      return this.problem(absolute, `it cannot be read (${reason(error)})`, error);
    }
    const { stats, bytes } = read;
    // Symlinks are followed to files, never to directories (no cycles).
    if (stats.isDirectory() && entry.listedSymlink) return undefined;
    if (!stats.isFile()) return this.problem(absolute, notRegularFile(stats));
    if (bytes === undefined) {
      return this.problem(
        absolute,
        `it is ${formatBytes(stats.size)} (${stats.size} bytes), over the ${formatBytes(this.maxFileSize)} ` +
          `limit; raise the maxFileSize option (in bytes) to read it`,
      );
    }
    const format = formatFor(normalizeExt(path.extname(absolute)));
    let sections: FileSection[];
    if (format.kind === "text") {
      const decoded = decodeText(bytes, this.encoding);
      if (!decoded.ok) return this.problem(absolute, decoded.reason);
      try {
        sections = [{ text: await format.toText(decoded.text), metadata: {}, idSuffix: "" }];
      } catch (error) {
        return this.problem(absolute, `it cannot be converted to text (${reason(error)})`, error);
      }
    } else {
      if (bytes.length === 0) return this.problem(absolute, "it is empty (0 bytes)");
      try {
        sections = await format.read(bytes, {
          pdfPages: this.pdfPages,
          maxUncompressedSize: this.maxUncompressedSize,
          maxTextLength: this.maxFileSize,
        });
      } catch (error) {
        // Its message says how large, the limit and the option to raise.
        if (error instanceof LimitExceededError) return this.problem(absolute, error.message, error);
        return this.problem(absolute, `it cannot be converted to text (${reason(error)})`, error);
      }
    }
    sections = sections.filter((section) => /\S/.test(section.text));
    if (sections.length === 0) {
      const hint = format.mimeType === PDF_MIME_TYPE ? " (a scanned PDF without a text layer needs OCR)" : "";
      return this.problem(absolute, `it has no text${hint}`);
    }
    const base: Metadata = {
      file_path: absolute,
      file_name: path.basename(absolute),
      file_type: format.mimeType,
      file_size: stats.size,
      last_modified_date: stats.mtime.toISOString(),
    };
    const extra = this.fileMetadata?.(absolute);
    return sections.map(
      (section) =>
        new Document({
          id: absolute + section.idSuffix,
          text: section.text,
          metadata: { ...base, ...section.metadata, ...extra },
          excludedEmbedMetadataKeys: [...EXCLUDED_METADATA_KEYS],
          excludedLlmMetadataKeys: [...EXCLUDED_METADATA_KEYS],
        }),
    );
  }

  /** Skips a file with a warning naming it, or throws {@link ReaderError} with `onError: "error"`. */
  private problem(filePath: string, why: string, cause?: unknown): undefined {
    if (this.onError === "error") throw new ReaderError(filePath, `skipped: ${why}.`, { cause });
    this.onWarning(`Skipped ${filePath}: ${why}.`);
    return undefined;
  }
}

/** Lower-case extension with its leading dot (`"MD"` -> `".md"`); `""` for none. */
function normalizeExt(ext: string): string {
  if (ext === "") return "";
  const lower = ext.toLowerCase();
  return lower.startsWith(".") ? lower : `.${lower}`;
}

function byteCount(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(name, `expected a positive number of bytes, got ${describe(value)}.`);
  }
  return value;
}

function compare(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

function reason(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? "ENOENT: no such file (a dangling symlink?)" : (code ?? error.message);
  }
  return String(error);
}

async function statOrThrow(absolute: string, hint: string): Promise<Stats> {
  try {
    return await stat(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what =
      code === "ENOENT" || code === "ENOTDIR" ? "does not exist" : `cannot be accessed (${reason(error)})`;
    throw new ReaderError(absolute, `${what}. ${hint}`, { cause: error });
  }
}

function stringList(name: string, value: unknown, fallback: readonly string[]): string[] {
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string" || item === "")) {
    throw new InvalidArgumentError(name, `expected an array of non-empty strings, got ${describe(value)}.`);
  }
  return value;
}

function optionalFunction<T>(name: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== "function") {
    throw new InvalidArgumentError(name, `expected a function, got ${describe(value)}.`);
  }
  return value;
}
