import { abortReason, raceAbort } from "../utils/abort.js";

interface Waiter {
  text: string;
  resolve(vector: Float32Array): void;
  reject(error: unknown): void;
}

/**
 * Coalesces query embeddings requested in the same event-loop turn into one batch request: 200 concurrent
 * queries cost one embeddings request instead of 200. A lone query waits one turn (`setImmediate`) at most.
 * Each caller keeps its own abort signal: aborting one query never fails the others' shared request.
 */
export class QueryCoalescer {
  private queue: Waiter[] = [];
  private scheduled = false;

  constructor(
    private readonly embedBatch: (texts: string[]) => Promise<Float32Array[]>,
    private readonly maxBatch: number,
  ) {}

  /** The embedding of `text`, from the next batch. */
  embed(text: string, signal?: AbortSignal): Promise<Float32Array> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const result = new Promise<Float32Array>((resolve, reject) => {
      this.queue.push({ text, resolve, reject });
    });
    if (this.queue.length >= this.maxBatch) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return raceAbort(result, signal);
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    // Identical queries in one batch are embedded once.
    const unique = [...new Set(batch.map((w) => w.text))];
    this.embedBatch(unique).then(
      (vectors) => {
        const byText = new Map(unique.map((t, i) => [t, vectors[i]!] as const));
        for (const w of batch) w.resolve(byText.get(w.text)!);
      },
      (error: unknown) => {
        for (const w of batch) w.reject(error);
      },
    );
  }
}
