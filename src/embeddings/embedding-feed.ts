import { InvalidArgumentError } from "../errors/index.js";
import { abortReason } from "../utils/abort.js";
import type { EmbedCallOptions } from "./base-embedding.js";

/** One provider request: embeds a batch of texts. @internal */
export type EmbedBatchFn = (texts: string[], options: EmbedCallOptions) => Promise<Float32Array[]>;

/**
 * Receives vectors as soon as they and every vector before them are ready: `vectors[i]` is the vector of the
 * `start + i`-th text pushed. Called in push order, once per batch. @internal
 */
export type VectorsListener = (start: number, vectors: Float32Array[]) => void;

/**
 * Embeds texts that arrive in pieces (e.g. while documents are still being split): every full batch of
 * `batchSize` texts is sent as soon as it exists, at most `concurrency` at once, and {@link finish} sends the
 * rest. Batches are cut exactly as `getTextEmbeddings` would cut the concatenated texts, and the vectors come
 * back in push order, to `onVectors` batch by batch as they complete (in order) and all at once from
 * {@link finish}. Progress is reported once the total is known (from {@link finish} on).
 *
 * @internal
 */
export class EmbeddingFeed {
  private readonly embed: EmbedBatchFn;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly options: EmbedCallOptions;
  private readonly name: string;
  private readonly onVectors: VectorsListener | undefined;
  private readonly texts: string[] = [];
  private readonly out: Float32Array[] = [];
  /** Starts of batches cut but not yet sent. */
  private readonly queue: number[] = [];
  private cut = 0;
  /** Texts whose vectors went to `onVectors`; `ready` maps the start of each later finished batch to its size. */
  private delivered = 0;
  private readonly ready = new Map<number, number>();
  private inFlight = 0;
  private done = 0;
  private total = -1;
  private failed = false;
  private error: unknown;
  private settle: { resolve(v: Float32Array[]): void; reject(e: unknown): void } | undefined;

  constructor(
    embed: EmbedBatchFn,
    batchSize: number,
    concurrency: number,
    options: EmbedCallOptions,
    name: string,
    onVectors?: VectorsListener,
  ) {
    this.embed = embed;
    this.onVectors = onVectors;
    this.batchSize = batchSize;
    this.concurrency = concurrency;
    this.options = options;
    this.name = name;
  }

  /** Texts pushed so far. */
  get length(): number {
    return this.texts.length;
  }

  /** Queues `texts` and sends every batch that is now full. Throws the first failure of an earlier batch. */
  push(texts: readonly string[]): void {
    if (this.failed) throw this.error;
    if (this.total >= 0) throw new Error("EmbeddingFeed: push after finish.");
    for (const text of texts) this.texts.push(text);
    while (this.texts.length - this.cut >= this.batchSize) {
      this.queue.push(this.cut);
      this.cut += this.batchSize;
    }
    this.pump();
  }

  /** Sends the last partial batch and resolves with every vector, in push order. */
  finish(): Promise<Float32Array[]> {
    if (this.failed) return Promise.reject(this.error);
    if (this.cut < this.texts.length) {
      this.queue.push(this.cut);
      this.cut = this.texts.length;
    }
    this.total = this.texts.length;
    if (this.done > 0) this.options.onProgress?.(this.done, this.total);
    return new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
      this.pump();
    });
  }

  private pump(): void {
    while (!this.failed && this.inFlight < this.concurrency && this.queue.length > 0) {
      const start = this.queue.shift()!;
      if (this.options.signal?.aborted) {
        this.fail(abortReason(this.options.signal));
        return;
      }
      this.inFlight++;
      const slice = this.texts.slice(start, Math.min(start + this.batchSize, this.texts.length));
      this.send(start, slice).then(
        () => {
          this.inFlight--;
          this.pump();
        },
        (error: unknown) => {
          this.inFlight--;
          this.fail(error);
        },
      );
    }
    if (!this.failed && this.total >= 0 && this.inFlight === 0 && this.queue.length === 0) {
      this.settle?.resolve(this.out);
      this.settle = undefined;
    }
  }

  private async send(start: number, slice: string[]): Promise<void> {
    const vectors = await this.embed(slice, this.options);
    if (vectors.length !== slice.length) {
      throw new InvalidArgumentError(
        "embedBatch",
        `${this.name} returned ${vectors.length} vectors for ${slice.length} texts.`,
      );
    }
    if (this.failed) return;
    for (let i = 0; i < vectors.length; i++) this.out[start + i] = vectors[i]!;
    this.done += slice.length;
    if (this.total >= 0) this.options.onProgress?.(this.done, this.total);
    if (this.onVectors !== undefined) {
      this.ready.set(start, vectors.length);
      for (let size = this.ready.get(this.delivered); size !== undefined; ) {
        this.ready.delete(this.delivered);
        this.onVectors(this.delivered, this.out.slice(this.delivered, this.delivered + size));
        this.delivered += size;
        size = this.ready.get(this.delivered);
      }
    }
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.error = error;
    this.queue.length = 0;
    this.settle?.reject(error);
    this.settle = undefined;
  }
}
