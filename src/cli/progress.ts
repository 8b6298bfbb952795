/** Where progress goes: a terminal gets one redrawn line, anything else a line per phase. */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * A one-line progress bar on stderr: `files 12/40  chunks 310  embeddings [#####-----] 155/310`. Redraws at
 * most every 100 ms on a terminal; prints nothing but the final summary elsewhere (logs stay readable).
 */
export class ProgressBar {
  private files = "";
  private chunks = "";
  private embed = "";
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
    const width = 20;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    this.embed = `embeddings [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total}`;
    this.draw(done === total);
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
    this.out.write(`\r\x1b[2K${[this.files, this.chunks, this.embed].filter(Boolean).join("  ")}`);
    this.drawn = true;
  }
}
