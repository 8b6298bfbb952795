import type { EventDispatcher, SynthesizeProgressEvent } from "../instrumentation/events.js";
import type { VectorStoreAddProgress } from "../storage/vector-store/types.js";

/** `[#####-----]`: `done` of `total` in 20 characters. */
function bar(done: number, total: number, width = 20): string {
  const filled = total === 0 ? width : Math.min(width, Math.round((done / total) * width));
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}

/** Where progress goes: a terminal gets one redrawn line, anything else a line per phase. */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * A one-line progress bar on stderr: `files 12/40  chunks 310  embeddings [#####-----] 155/310`, and for a Postgres
 * store `stored [##--------] 62/310` (then the index build and `ANALYZE`). Redraws at
 * most every 100 ms on a terminal; prints nothing but the final summary elsewhere (logs stay readable).
 */
export class ProgressBar {
  private files = "";
  private chunks = "";
  private embed = "";
  private store = "";
  private last = 0;
  private drawn = false;

  constructor(private readonly out: ProgressOutput) {}

  setFiles(done: number, total: number): void {
    this.files = `files ${done}/${total}`;
    this.draw();
  }

  setChunks(chunks: number): void {
    this.chunks = `chunks ${chunks}`;
    this.draw();
  }

  setEmbeddings(done: number, total: number): void {
    this.embed = `embeddings ${bar(done, total)} ${done}/${total}`;
    this.draw(done === total);
  }

  /** The store's side: `stored [###---] 2000/5000`, then `building the vector index`, `analyzing`. */
  setStore(progress: VectorStoreAddProgress): void {
    const { phase, done, total } = progress;
    if (phase === "load") this.store = `stored ${bar(done, total)} ${done}/${total}`;
    else if (done < total) this.store = phase === "index" ? "building the vector index" : "analyzing";
    else this.store = `stored ${total}`;
    this.draw(phase === "load" ? done === total : true);
  }

  /** Clears the bar (before printing a summary). */
  done(): void {
    if (this.drawn && this.out.isTTY) this.out.write("\r\x1b[2K");
    this.drawn = false;
  }

  private draw(force = false): void {
    if (!this.out.isTTY) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    this.out.write(
      `\r\x1b[2K${[this.files, this.chunks, this.embed, this.store].filter(Boolean).join("  ")}`,
    );
    this.drawn = true;
  }
}

/**
 * The progress of a multi-call response mode while `query()` runs, in one line on stderr that rewrites itself:
 * `refining 2/4`, `summarizing level 1 (3/5)`. Only on a terminal: anywhere else it never subscribes and writes
 * nothing. {@link SynthesisProgress.detach} when the answer is returned, {@link SynthesisProgress.clear} before
 * its first output, {@link SynthesisProgress.stop} in any case when done.
 */
export class SynthesisProgress {
  private off: (() => void) | undefined;
  private shown = "";

  constructor(
    private readonly out: ProgressOutput,
    events: EventDispatcher,
  ) {
    if (!out.isTTY) return;
    this.off = events.on("synthesize-progress", (event) => this.show(describeProgress(event)));
  }

  /** Stops listening (the line stays until {@link clear}). */
  detach(): void {
    this.off?.();
    this.off = undefined;
  }

  /** Erases the line, if one is shown. */
  clear(): void {
    if (this.shown === "") return;
    this.out.write("\r\x1b[2K");
    this.shown = "";
  }

  /** Stops listening and erases the line. */
  stop(): void {
    this.detach();
    this.clear();
  }

  private show(line: string): void {
    if (line === this.shown) return;
    this.out.write(`\r\x1b[2K${line}`);
    this.shown = line;
  }
}

/** `refining 2/4` (refine, compact), `summarizing level 1 (3/5)` (tree_summarize: calls finished of the level). */
export function describeProgress(event: SynthesizeProgressEvent): string {
  if (event.level !== undefined) return `summarizing level ${event.level} (${event.done}/${event.total})`;
  return `refining ${event.step}/${event.total}`;
}
