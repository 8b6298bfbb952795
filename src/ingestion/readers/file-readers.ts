import type { HtmlToTextOptions } from "html-to-text";

/** How one kind of file becomes text. */
export interface FileFormat {
  /** A MIME type for the `file_type` metadata, e.g. `"text/markdown"`. */
  mimeType: string;
  /** Turns the decoded file content into the text to index. */
  toText(content: string): string | Promise<string>;
}

const asIs = (content: string): string => content;

/** Formats read by default, by lower-case extension. */
const FORMATS: Record<string, FileFormat> = {
  ".txt": { mimeType: "text/plain", toText: asIs },
  ".md": { mimeType: "text/markdown", toText: asIs },
  ".markdown": { mimeType: "text/markdown", toText: asIs },
  ".json": { mimeType: "application/json", toText: jsonToText },
  ".html": { mimeType: "text/html", toText: htmlToText },
  ".htm": { mimeType: "text/html", toText: htmlToText },
};

/** MIME types of a few more text extensions, which are read as plain text when listed in `requiredExts`. */
const OTHER_MIME_TYPES: Record<string, string> = {
  ".csv": "text/csv",
  ".tsv": "text/tab-separated-values",
  ".xml": "application/xml",
  ".yaml": "application/yaml",
  ".yml": "application/yaml",
  ".rst": "text/x-rst",
  ".js": "text/javascript",
  ".ts": "text/typescript",
  ".py": "text/x-python",
};

/** The extensions read by default: `.txt`, `.md`, `.markdown`, `.json`, `.html`, `.htm`. */
export const DEFAULT_EXTENSIONS: readonly string[] = Object.keys(FORMATS);

/**
 * The format for a lower-case extension (with its dot). Extensions read by default have their own format; any
 * other is read as plain text (used for extensions the caller asked for explicitly).
 */
export function formatFor(ext: string): FileFormat {
  return FORMATS[ext] ?? { mimeType: OTHER_MIME_TYPES[ext] ?? "text/plain", toText: asIs };
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

type Convert = (html: string) => string;
let convertPromise: Promise<Convert> | undefined;

const HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"].map((selector) => ({
  selector,
  options: { uppercase: false },
}));

const HTML_OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  selectors: [
    ...HEADINGS,
    { selector: "a", options: { ignoreHref: true } },
    { selector: "img", format: "skip" },
    { selector: "script", format: "skip" },
    { selector: "style", format: "skip" },
    { selector: "noscript", format: "skip" },
    { selector: "template", format: "skip" },
    { selector: "table", format: "dataTable", options: { uppercaseHeaderCells: false } },
  ],
};

/**
 * HTML as plain text (via `html-to-text`, imported on first use): tags, scripts, styles, images and link
 * targets are dropped; headings and paragraphs stay separated by blank lines.
 */
export async function htmlToText(content: string): Promise<string> {
  convertPromise ??= import("html-to-text").then((mod) => mod.compile(HTML_OPTIONS));
  const convert = await convertPromise;
  return convert(content);
}
