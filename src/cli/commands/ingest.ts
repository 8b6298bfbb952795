import { type CliContext, EXIT } from "../context.js";
import { UsageError } from "../models.js";
import { describeSync, type IndexFlags, models, syncWithProgress, withIndex } from "./shared.js";

/** `streamdex ingest <paths...>`: index (or incrementally update) documents into the persisted index. */
export async function ingest(ctx: CliContext, paths: string[], flags: IndexFlags): Promise<number> {
  if (paths.length === 0)
    throw new UsageError("ingest needs at least one file or folder: streamdex ingest ./docs");
  const choice = await models(ctx, flags);
  return withIndex(ctx, flags, choice, { writes: true }, async (ws) => {
    const summary = await syncWithProgress(ctx, ws, paths);
    ctx.stdout.write(`${describeSync(summary, ws)}\n`);
    if (ws.isEmpty) {
      ctx.stderr.write("streamdex: no readable documents found (.txt .md .json .html .pdf .docx .csv).\n");
      return EXIT.noData;
    }
    return EXIT.ok;
  });
}
