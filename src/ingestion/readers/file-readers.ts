import type { Metadata } from "../../schema/node.js";
import { csvToText } from "./csv-to-text.js";
import { docxToText } from "./docx-to-text.js";
import { htmlToText } from "./html-main-text.js";
import { pdfToText } from "./pdf-to-text.js";

/** How PDFs are read: one Document per file (`"join"`, pages separated by blank lines) or per page (`"split"`). */
export type PdfPagesMode = "join" | "split";

/** Options a binary format reads with. */
export interface ReadOptions {
  pdfPages: PdfPagesMode;
  /** The most bytes a DOCX's parts may unpack to (the reader's `maxUncompressedSize`). */
  maxUncompressedSize: number;
  /** The most characters of text a PDF may yield (the reader's `maxFileSize`). */
  maxTextLength: number;
}

/** What part of a file becomes one Document: its text, extra metadata, and an id suffix (`""` for a whole file). */
export interface FileSection {
  text: string;
  metadata: Metadata;
  idSuffix: string;
}

/**
 * How one kind of file becomes text: a text format gets the decoded content (in the reader's `encoding`), a
 * binary format (PDF, DOCX) the file's bytes, and may split it into several sections.
 */
export type FileFormat =
  | {
      kind: "text";
      /** A MIME type for the `file_type` metadata, e.g. `"text/markdown"`. */
      mimeType: string;
      /** Turns the decoded file content into the text to index. */
      toText(content: string): string | Promise<string>;
    }
  | {
      kind: "binary";
      mimeType: string;
      /**
       * Turns the file's bytes into the sections to index; throws when the file is corrupt or encrypted, and
       * `LimitExceededError` when it would unpack to more than `options` allow.
       */
      read(bytes: Uint8Array, options: ReadOptions): Promise<FileSection[]>;
    };

const asIs = (content: string): string => content;

const text = (mimeType: string, toText: (content: string) => string | Promise<string>): FileFormat => ({
  kind: "text",
  mimeType,
  toText,
});

/** The PDF's pages with text, joined into one section or one section per page. */
async function readPdf(bytes: Uint8Array, options: ReadOptions): Promise<FileSection[]> {
  const { pageCount, pages } = await pdfToText(bytes, { maxTextLength: options.maxTextLength });
  const withText = pages.filter((page) => /\S/.test(page.text));
  if (options.pdfPages === "split") {
    return withText.map((page) => ({
      text: page.text,
      metadata: { page_label: page.label, page_count: pageCount },
      idSuffix: `#page=${page.number}`,
    }));
  }
  const joined = withText.map((page) => page.text).join("\n\n");
  return [{ text: joined, metadata: { page_count: pageCount }, idSuffix: "" }];
}

async function readDocx(bytes: Uint8Array, options: ReadOptions): Promise<FileSection[]> {
  const text = await docxToText(bytes, { maxUncompressedSize: options.maxUncompressedSize });
  return [{ text, metadata: {}, idSuffix: "" }];
}

/** MIME type of PDF files. */
export const PDF_MIME_TYPE = "application/pdf";

/** Formats read by default, by lower-case extension. */
const FORMATS: Record<string, FileFormat> = {
  ".txt": text("text/plain", asIs),
  ".md": text("text/markdown", asIs),
  ".markdown": text("text/markdown", asIs),
  ".json": text("application/json", jsonToText),
  ".html": text("text/html", htmlToText),
  ".htm": text("text/html", htmlToText),
  ".csv": text("text/csv", csvToText),
  ".pdf": { kind: "binary", mimeType: PDF_MIME_TYPE, read: readPdf },
  ".docx": {
    kind: "binary",
    mimeType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    read: readDocx,
  },
};

/** MIME types of a few more text extensions, which are read as plain text when listed in `requiredExts`. */
const OTHER_MIME_TYPES: Record<string, string> = {
  ".tsv": "text/tab-separated-values",
  ".xml": "application/xml",
  ".yaml": "application/yaml",
  ".yml": "application/yaml",
  ".rst": "text/x-rst",
  ".js": "text/javascript",
  ".ts": "text/typescript",
  ".py": "text/x-python",
};

/**
 * The extensions read by default: `.txt`, `.md`, `.markdown`, `.json`, `.html`, `.htm`, `.csv`, `.pdf`,
 * `.docx`.
 */
export const DEFAULT_EXTENSIONS: readonly string[] = Object.keys(FORMATS);

/**
 * The format for a lower-case extension (with its dot). Extensions read by default have their own format; any
 * other is read as plain text (used for extensions the caller asked for explicitly).
 */
export function formatFor(ext: string): FileFormat {
  return FORMATS[ext] ?? text(OTHER_MIME_TYPES[ext] ?? "text/plain", asIs);
}

/**
 * JSON as readable text: objects become `key: value` lines, arrays `- item` lines, nesting is indented
 * (a YAML-like outline). Content that is not valid JSON is kept as it is.
 *
 * @example
 * ```ts
 * jsonToText('{"title":"Notes","tags":["a","b"]}'); // "title: Notes\ntags:\n  - a\n  - b"
 * ```
 */
export function jsonToText(content: string): string {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return content;
  }
  const lines: string[] = [];
  outline(value, "", lines);
  return lines.join("\n");
}

function scalar(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function isContainer(value: unknown): value is object {
  return value !== null && typeof value === "object" && Object.keys(value).length > 0;
}

function outline(value: unknown, indent: string, lines: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isContainer(item)) {
        lines.push(`${indent}-`);
        outline(item, `${indent}  `, lines);
      } else lines.push(`${indent}- ${scalar(item)}`);
    }
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (isContainer(item)) {
        lines.push(`${indent}${key}:`);
        outline(item, `${indent}  `, lines);
      } else lines.push(`${indent}${key}: ${scalar(item)}`);
    }
  } else lines.push(`${indent}${scalar(value)}`);
}
