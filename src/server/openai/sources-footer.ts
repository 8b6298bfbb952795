import type { NodeWithScore } from "../../schema/node.js";
import { sourceNumbering } from "../../streaming/stream-parts.js";

/**
 * The markdown "Sources" list appended to the content for UIs that show only text: one line per source, numbered
 * as a citing answer's `[n]` markers (else in retrieval order), with its file name, PDF page and first words.
 * `""` when there are no sources.
 *
 * @example
 * ```md
 * **Sources**
 *
 * - [1] memoir.md: "Salt and Circuits. I grew up on an island where…"
 * ```
 */
export function sourcesFooter(sources: NodeWithScore[]): string {
  if (sources.length === 0) return "";
  const lines = sources.map(({ node }, i) => {
    const number = sourceNumbering(node)?.number ?? i + 1;
    const { file_name: fileName, file_path: filePath, page_label: page } = node.metadata;
    const name =
      typeof fileName === "string"
        ? fileName
        : typeof filePath === "string"
          ? (filePath.split(/[\\/]/).pop() ?? filePath)
          : node.id;
    const where = page === undefined || page === null ? "" : `, page ${String(page)}`;
    return `- [${number}] ${escapeMarkdown(name)}${where}: "${escapeMarkdown(firstWords(node.text))}"`;
  });
  return `\n\n**Sources**\n\n${lines.join("\n")}\n`;
}

/** The first `count` words of a text, with `…` when there are more. */
function firstWords(text: string, count = 12): string {
  const words = text.replace(/\s+/g, " ").trim().split(" ");
  return words.length > count ? `${words.slice(0, count).join(" ")}…` : words.join(" ");
}

/** Text shown literally in markdown (a file named `_notes_.md` is not emphasis, a snippet cannot inject a link). */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+!|<>~]/g, "\\$&");
}
