import type { ServerResponse } from "node:http";
import { AbortError, isAbortError, StreamConsumedError, StreamInterruptedError } from "../errors/index.js";
import type { LLMChunk, TokenUsage } from "../llms/types.js";
import { type PipeOptions, pipeToNodeResponse } from "../streaming/node-response.js";
import { iterableToReadableStream, SSE_HEADERS, toEventStream } from "../streaming/web-streams.js";
import type { NodeWithScore } from "./node.js";
import { addUsage, Response, type ResponseMetadata, sourceMetadata } from "./response.js";

/** Observers of one streamed answer (instrumentation). They see every delta and never consume the stream. */
export interface StreamHooks {
  onDelta?(delta: string, index: number): void;
  onEnd?(text: string, usage: TokenUsage | undefined, finishReason: string | undefined): void;
  onError?(error: unknown, partialText: string): void;
  onCancel?(partialText: string): void;
}

/** What a {@link StreamingResponse} is built from. */
export interface StreamingResponseInit {
  /** The final LLM call's stream, already accepted by the provider. */
  stream?: AsyncIterable<LLMChunk>;
  /** Instead of `stream`: a known answer, delivered as exactly one chunk (modes that make no LLM call). */
  text?: string;
  sourceNodes?: NodeWithScore[];
  metadata?: ResponseMetadata;
  /** Usage of the LLM calls made before the streamed one (refine, tree_summarize...). */
  priorUsage?: TokenUsage;
  /** Aborted by `cancel()`, `break` or the user's signal: stops every provider request of the query. */
  controller?: AbortController;
  /** The caller's signal. Once it aborts, reading throws {@link AbortError}. */
  signal?: AbortSignal;
  /** Observers (instrumentation); more can be added with {@link StreamingResponse.observe}. */
  hooks?: StreamHooks;
}

type State = "idle" | "reading" | "done" | "cancelled" | "errored";

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * A streamed answer, returned by a streaming query engine as soon as its last LLM call has started.
 * `sourceNodes` and `metadata` are there before the first token; the text arrives through `responseGen`
 * (or iterating the object itself), one delta per provider chunk, read only as fast as you read it.
 *
 * Stopping early (`break`, `cancel()`, or the `signal` passed to `query`) aborts the provider request.
 * An error mid-stream is thrown from the loop as a {@link StreamInterruptedError} carrying the partial text.
 *
 * @example
 * ```ts
 * const res = await engine.query("What did the author do growing up?");
 * for await (const text of res.responseGen) process.stdout.write(text);
 * // or: await res.printResponseStream();   or: const full = await res.getResponse();
 * ```
 */
export class StreamingResponse implements AsyncIterable<string> {
  /** The nodes the answer is built from, available before the first token. */
  readonly sourceNodes: NodeWithScore[];
  /** Source metadata by node id, available before the first token. */
  readonly metadata: ResponseMetadata;
  /** Deltas so far; joined lazily into {@link StreamingResponse.responseTxt} (cheaper than `+=` per delta). */
  private readonly parts: string[] = [];
  private joined = "";
  /** Token usage of every LLM call of the query, once the stream has ended (when the provider reports it). */
  usage: TokenUsage | undefined;
  /** Why the model stopped, once the stream has ended. */
  finishReason: string | undefined;
  /** Number of deltas delivered so far. */
  deltaCount = 0;

  private readonly init: StreamingResponseInit;
  private readonly stream: AsyncIterable<LLMChunk>;
  private state: State = "idle";
  private source: AsyncIterator<LLMChunk> | undefined;
  private error: unknown;
  private streamUsage: TokenUsage | undefined;
  private readonly detachSignal: (() => void) | undefined;
  private readonly hooks: StreamHooks[] = [];

  constructor(init: StreamingResponseInit) {
    this.init = init;
    this.stream = init.stream ?? oneChunk(init.text ?? "");
    if (init.hooks) this.hooks.push(init.hooks);
    this.sourceNodes = init.sourceNodes ?? [];
    this.metadata = init.metadata ?? sourceMetadata(this.sourceNodes);
    const signal = init.signal;
    if (signal) {
      const onAbort = () => void this.stop("aborted");
      signal.addEventListener("abort", onAbort, { once: true });
      this.detachSignal = () => signal.removeEventListener("abort", onAbort);
    }
  }

  /** The text delivered so far; the whole answer once the stream has ended. */
  get responseTxt(): string {
    if (this.parts.length > 1) {
      this.joined = this.parts.join("");
      this.parts.length = 0;
      this.parts.push(this.joined);
    } else if (this.parts.length === 1) {
      this.joined = this.parts[0]!;
    }
    return this.joined;
  }

  /** The text deltas, as the provider produces them. Same as iterating the response itself. */
  get responseGen(): AsyncIterable<string> {
    return this;
  }

  /** Whether the stream has ended (completely, by cancel, or by an error). */
  get done(): boolean {
    return this.state !== "idle" && this.state !== "reading";
  }

  /**
   * One pass over the deltas. A second consumer while the first is reading gets {@link StreamConsumedError};
   * iterating after the end replays the whole text as one chunk (or rethrows the stream's error).
   */
  [Symbol.asyncIterator](): AsyncIterator<string> {
    if (this.state === "idle") {
      this.state = "reading";
      this.source = this.stream[Symbol.asyncIterator]();
      return {
        next: () => this.next(),
        return: () => this.stop("cancelled"),
      };
    }
    if (this.state === "reading") {
      throw new StreamConsumedError(
        "This StreamingResponse is already being read. Read it once (responseGen, printResponseStream or " +
          "getResponse), or read `responseTxt` after it ends.",
      );
    }
    return this.replay();
  }

  /** Writes the deltas to `out` (stdout by default) as they arrive, honouring the writer's backpressure. */
  async printResponseStream(out: NodeJS.WritableStream = process.stdout): Promise<void> {
    for await (const text of this) {
      if (!out.write(text)) await new Promise<void>((resolve) => out.once("drain", resolve));
    }
  }

  /** Reads the rest of the stream and resolves to the finished {@link Response} (text, sources, usage). */
  async getResponse(): Promise<Response> {
    if (!this.done) for await (const _ of this);
    if (this.state === "errored") throw this.error;
    return new Response({
      response: this.responseTxt,
      sourceNodes: this.sourceNodes,
      metadata: this.metadata,
      usage: this.usage,
    });
  }

  /** Stops the stream and aborts the provider request. A loop reading it ends normally. Safe to call twice. */
  async cancel(): Promise<void> {
    await this.stop("cancelled");
  }

  /**
   * Adds an observer that sees every delta and the end (done, error or cancel) without consuming the stream.
   * Add it before reading starts to see every delta.
   */
  observe(hooks: StreamHooks): void {
    this.hooks.push(hooks);
  }

  /** The deltas as a pull-based Web `ReadableStream<string>`; cancelling it cancels the answer. */
  toReadableStream(): ReadableStream<string> {
    return iterableToReadableStream(this);
  }

  /**
   * A Web `Response` streaming server-sent events: `sources`, then one `delta` per chunk, then `usage` and
   * `done`, or an `error` event. For fetch-style servers (Hono, Next.js route handlers, Bun, Deno).
   */
  toEventStreamResponse(init: ResponseInit = {}): globalThis.Response {
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(SSE_HEADERS)) if (!headers.has(k)) headers.set(k, v);
    return new globalThis.Response(toEventStream(this), { ...init, headers });
  }

  /** Streams the answer into a Node `ServerResponse` (SSE by default), with backpressure and disconnect handling. */
  pipeToNodeResponse(res: ServerResponse, options?: PipeOptions): Promise<void> {
    return pipeToNodeResponse(this, res, options);
  }

  /** The text so far (the full answer once ended). */
  toString(): string {
    return this.responseTxt;
  }

  private next(): Promise<IteratorResult<string>> {
    if (this.state !== "reading") return this.settled();
    return this.source!.next().then(this.onChunk, this.onError);
  }

  private readonly onChunk = (
    result: IteratorResult<LLMChunk>,
  ): IteratorResult<string> | Promise<IteratorResult<string>> => {
    if (this.state !== "reading") return this.settled();
    if (result.done) {
      this.finish();
      return DONE;
    }
    const chunk = result.value;
    if (chunk.usage) this.streamUsage = chunk.usage;
    if (chunk.finishReason) this.finishReason = chunk.finishReason;
    const delta = chunk.delta;
    // Chunks that only carry usage or a finish reason are not deltas; a fixed text is one chunk even if empty.
    if (delta === "" && this.init.stream !== undefined) return this.next();
    this.parts.push(delta);
    for (let i = 0; i < this.hooks.length; i++) this.hooks[i]!.onDelta?.(delta, this.deltaCount);
    this.deltaCount++;
    return { done: false, value: delta };
  };

  private readonly onError = (error: unknown): Promise<IteratorResult<string>> => {
    if (this.state === "reading") {
      const aborted = this.init.signal?.aborted === true && isAbortError(error);
      this.fail(
        aborted
          ? new AbortError("The query was aborted by its signal.", { cause: this.init.signal?.reason })
          : error instanceof StreamInterruptedError
            ? error
            : new StreamInterruptedError(
                `The answer stream failed after ${this.deltaCount} deltas: ${messageOf(error)}. The text ` +
                  "received so far is on `error.partialText`; run the query again for a full answer.",
                this.responseTxt,
                { cause: error },
              ),
      );
    }
    return this.settled();
  };

  private finish(): void {
    this.state = "done";
    this.usage = addUsage(this.init.priorUsage, this.streamUsage);
    this.detachSignal?.();
    for (const h of this.hooks) h.onEnd?.(this.responseTxt, this.usage, this.finishReason);
  }

  private fail(error: unknown): void {
    this.state = "errored";
    this.error = error;
    this.detachSignal?.();
    for (const h of this.hooks) h.onError?.(error, this.responseTxt);
  }

  /** What a read returns once the stream is no longer live. */
  private settled(): Promise<IteratorResult<string>> {
    return this.state === "errored" ? Promise.reject(this.error) : Promise.resolve(DONE);
  }

  private async stop(why: "cancelled" | "aborted"): Promise<IteratorResult<string>> {
    if (this.state === "idle" || this.state === "reading") {
      if (why === "aborted") {
        this.fail(
          new AbortError("The query was aborted by its signal.", { cause: this.init.signal?.reason }),
        );
      } else {
        this.state = "cancelled";
        this.detachSignal?.();
        for (const h of this.hooks) h.onCancel?.(this.responseTxt);
      }
      this.init.controller?.abort(new AbortError("The stream was cancelled by its consumer."));
      const source = this.source ?? this.stream[Symbol.asyncIterator]();
      this.source = source;
      try {
        await source.return?.();
      } catch {
        // The provider's own cleanup failed after we stopped reading: nothing left to deliver.
      }
    }
    return DONE;
  }

  private replay(): AsyncIterator<string> {
    let sent = false;
    return {
      next: async () => {
        if (this.state === "errored") throw this.error;
        if (sent || this.responseTxt === "") return DONE;
        sent = true;
        return { done: false, value: this.responseTxt };
      },
    };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function* oneChunk(text: string): AsyncGenerator<LLMChunk> {
  yield { delta: text };
}
