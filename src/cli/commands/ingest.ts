import { globToRegExp } from "../../ingestion/readers/glob.js";
import { type CliContext, EXIT } from "../context.js";
import { UsageError } from "../models.js";
import { describeSync, type IndexFlags, models, syncWithProgress, withIndex } from "./shared.js";

/** Flags of `ingest`. */
export interface IngestFlags extends IndexFlags {
  /**
   * `--exclude <glob>`, repeatable: files and folders to leave out, recorded with the index so that later
   * refreshes (ask, chat, serve) leave them out too. Given again, the new list replaces the recorded one.
   */
  exclude?: string[];
}

/** `streamdex ingest <paths...>`: index (or incrementally update) documents into the persisted index. */
export async function ingest(ctx: CliContext, paths: string[], flags: IngestFlags): Promise<number> {
  if (paths.length === 0)
    throw new UsageError("ingest needs at least one file or folder: streamdex ingest ./docs");
  for (const glob of flags.exclude ?? []) globToRegExp(glob, "--exclude"); // a bad pattern: exit 2, nothing opened
  const choice = await models(ctx, flags);
  return withIndex(ctx, flags, choice, { writes: true }, async (ws) => {
    const summary = await syncWithProgress(ctx, ws, paths, flags.exclude);
    ctx.stdout.write(`${describeSync(summary, ws)}\n`);
    if (ws.isEmpty) {
      ctx.stderr.write("streamdex: no readable documents found (.txt .md .json .html .pdf .docx .csv).\n");
      return EXIT.noData;
    }
    return EXIT.ok;
  });
}
