import { messageOf } from "../../errors/message-of.js";

let csvParse: Promise<typeof import("csv-parse/sync")> | undefined;

/**
 * CSV as readable text (parsed with `csv-parse`, imported on first use): the first row holds the column names,
 * each other row becomes `column: value` lines, and rows are separated by blank lines. Quoted fields may hold
 * commas, quotes (`""`) and newlines; empty values are left out; a row may have fewer fields than the header.
 *
 * @throws Error when the CSV is malformed (an unclosed quote, a row with more fields than the header).
 * @example
 * ```ts
 * await csvToText('name,notes\nAda,"math, engines"'); // "name: Ada\nnotes: math, engines"
 * ```
 */
export async function csvToText(content: string): Promise<string> {
  csvParse ??= import("csv-parse/sync");
  const { parse } = await csvParse;
  let rows: string[][];
  try {
    rows = parse(content, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count_less: true,
    });
  } catch (error) {
    throw new Error(`malformed CSV: ${messageOf(error)}`);
  }
  const [header, ...records] = rows;
  if (header === undefined) return "";
  const names = header.map((name, i) => name.trim() || `column ${i + 1}`);
  const blocks: string[] = [];
  for (const record of records) {
    const lines: string[] = [];
    record.forEach((value, i) => {
      // Blank lines inside a value would read as a row break.
      const text = value
        .trim()
        .replace(/\r\n?/g, "\n")
        .replace(/\n\s*\n/g, "\n");
      if (text !== "") lines.push(`${names[i]}: ${text}`);
    });
    if (lines.length > 0) blocks.push(lines.join("\n"));
  }
  return blocks.join("\n\n");
}
