import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { Citation } from "../citations/citation-parser.js";
import { CitationSource } from "../citations/numbered-sources.js";
import type { NodeWithScore } from "../schema/node.js";
import type { CliContext } from "./context.js";

/** Lines `start` to `end` (1-based, inclusive) of a source's file. */
export interface LineRange {
  start: number;
  end: number;
}

/** One numbered source of a cited answer, as `ask --citations` lists it (and `--json` gives it). */
export interface CitedSource {
  /** What `[number]` cites. */
  number: number;
  /** The file's path (its name when the path is unknown). */
  file: string;
  /** The file's name, as the list shows it. */
  name: string;
  /** The PDF page (`page_label`) when the file was read page by page. */
  page: string | null;
  /** Where the source is in its file, when its text is the file's own (text and Markdown files). */
  lines: LineRange | null;
  /** Whether the answer cites it. */
  cited: boolean;
  score: number | null;
  text: string;
}

/** The numbered sources of a cited answer, and the numbers it cites that have no source. */
export interface CitedSources {
  sources: CitedSource[];
  /** Cited numbers with no source (`nodeId: null`: `[0]`, or beyond the sources), each once, in order. */
  missing: number[];
}

/** Files larger than this are not read to find a source's lines. */
const MAX_LINES_FILE_BYTES = 4 * 1024 * 1024;
/** Formats whose document text is not the file's text: no line numbers. */
const NO_LINES = new Set([".pdf", ".docx"]);

/**
 * Numbers the sources of a cited answer as its markers do (a {@link CitationSource}'s `number`, else its place),
 * marks which the answer cites, and finds where each is: its PDF page when known, and its line range when the
 * file's text holds the source's text at `startCharIdx` (or just once anywhere); each file is read once.
 */
export async function citedSources(
  nodes: NodeWithScore[],
  citations: readonly Citation[],
): Promise<CitedSources> {
  const citedIds = new Set(citations.flatMap((c) => (c.nodeId === null ? [] : [c.nodeId])));
  const missing = [...new Set(citations.filter((c) => c.nodeId === null).map((c) => c.marker))];
  const files = new Map<string, Promise<string | undefined>>();
  const sources = await Promise.all(
    nodes.map(async ({ node, score }, i): Promise<CitedSource> => {
      const filePath = node.metadata.file_path;
      const name =
        node.metadata.file_name ?? (typeof filePath === "string" ? path.basename(filePath) : undefined);
      const page = node.metadata.page_label;
      let lines: LineRange | null = null;
      if (typeof filePath === "string") {
        let text = files.get(filePath);
        if (!text) {
          text = fileText(filePath);
          files.set(filePath, text);
        }
        const content = await text;
        if (content !== undefined) lines = lineRange(content, node.text, node.startCharIdx) ?? null;
      }
      return {
        number: node instanceof CitationSource ? node.number : i + 1,
        file: String(filePath ?? name ?? node.refDocId ?? node.id),
        name: String(name ?? node.refDocId ?? node.id),
        page: page === undefined || page === null ? null : String(page),
        lines,
        cited: citedIds.has(node.id),
        score: score ?? null,
        text: node.text,
      };
    }),
  );
  return { sources, missing };
}

/**
 * The "Sources" list of `ask --citations`, numbered as the markers: `[n] file (page or lines) — first words…`,
 * then one line per cited number with no source. Sources the answer does not cite end with "(not cited)",
 * dimmed on a colour terminal.
 */
export function printCitedSources(ctx: CliContext, { sources, missing }: CitedSources): void {
  if (sources.length === 0 && missing.length === 0) return;
  const dim = ctx.stdout.isTTY === true && (ctx.env.NO_COLOR === undefined || ctx.env.NO_COLOR === "");
  ctx.stdout.write("\nSources:\n");
  for (const s of sources) {
    const where = [
      ...(s.page === null ? [] : [`page ${s.page}`]),
      ...(s.lines === null ? [] : [lineLabel(s.lines)]),
    ];
    const line = `  [${s.number}] ${s.name}${where.length > 0 ? ` (${where.join(", ")})` : ""} — ${firstWords(s.text)}`;
    if (s.cited) ctx.stdout.write(`${line}\n`);
    else ctx.stdout.write(dim ? `\x1b[2m${line}  (not cited)\x1b[22m\n` : `${line}  (not cited)\n`);
  }
  for (const n of missing) ctx.stdout.write(`  [${n}] (no such source: cited but not retrieved)\n`);
}

/** The first `count` words of a text, with `…` when there are more. */
function firstWords(text: string, count = 12): string {
  const words = text.replace(/\s+/g, " ").trim().split(" ");
  return words.length > count ? `${words.slice(0, count).join(" ")}…` : words.join(" ");
}

function lineLabel({ start, end }: LineRange): string {
  return start === end ? `line ${start}` : `lines ${start}-${end}`;
}

/** A text file's content (byte-order mark removed), or undefined when it is not one that is worth reading. */
async function fileText(file: string): Promise<string | undefined> {
  if (NO_LINES.has(path.extname(file).toLowerCase())) return undefined;
  try {
    const s = await stat(file);
    if (!s.isFile() || s.size > MAX_LINES_FILE_BYTES) return undefined;
    const text = await readFile(file, "utf8");
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    return undefined;
  }
}

/**
 * The lines of `file` that `text` spans: at `startCharIdx` when the file holds it there, else where it occurs
 * if it occurs exactly once; undefined otherwise (the document's text is not the file's, or the file changed).
 */
export function lineRange(
  file: string,
  text: string,
  startCharIdx: number | undefined,
): LineRange | undefined {
  const body = text.replace(/\s+$/, "");
  if (body === "") return undefined;
  let at = -1;
  if (startCharIdx !== undefined && file.startsWith(body, startCharIdx)) at = startCharIdx;
  else {
    const first = file.indexOf(body);
    if (first >= 0 && file.indexOf(body, first + 1) < 0) at = first;
  }
  if (at < 0) return undefined;
  const start = newlines(file, 0, at) + 1;
  return { start, end: start + newlines(body, 0, body.length) };
}

function newlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf("\n", from); i >= 0 && i < to; i = text.indexOf("\n", i + 1)) n++;
  return n;
}
