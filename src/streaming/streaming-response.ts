import type { ServerResponse } from "node:http";
import type { Citation, CitationParserOptions } from "../citations/citation-parser.js";
import { AbortError, isAbortError, StreamConsumedError, StreamInterruptedError } from "../errors/index.js";
import { messageOf } from "../errors/message-of.js";
import { estimateUsage } from "../llms/estimate-usage.js";
import { legacyParts } from "../llms/stream-part.js";
import type { LLMStreamPart, ReasoningDeltaPart, TextDeltaPart, TokenUsage } from "../llms/types.js";
import type { NodeWithScore } from "../schema/node.js";
import { addUsage, Response, type ResponseMetadata, sourceMetadata } from "../schema/response.js";
import { QueryClock, type QueryTimings } from "../schema/timings.js";
import { onAbort } from "../utils/abort.js";
import type { Tokenizer } from "../utils/tokenizer.js";
import { AnswerCitations } from "./answer-citations.js";
import { type AnswerPart, answerParts, type CitationPart } from "./answer-part.js";
import { DONE } from "./iteration-done.js";
import { type PipeOptions, pipeToNodeResponse } from "./node-response.js";
import { ReaderSlot } from "./reader-slot.js";
import { type StreamHooks, StreamObservers } from "./stream-observers.js";
import { iterableToReadableStream, SSE_HEADERS, toEventStream } from "./web-streams.js";
import { writeRespectingBackpressure } from "./writable.js";

export type { StreamHooks };

/** What a {@link StreamingResponse} is built from. */
export interface StreamingResponseInit {
  /** The final LLM call's stream, already accepted by the provider. */
  stream?: AsyncIterable<LLMStreamPart>;
  /** Instead of `stream`: a known answer, delivered as exactly one chunk (modes that make no LLM call). */
  text?: string;
  sourceNodes?: NodeWithScore[];
  metadata?: ResponseMetadata;
  /** Usage of the LLM calls made before the streamed one (refine, tree_summarize...). */
  priorUsage?: TokenUsage;
  /**
   * The streamed call's prompt and the model's tokenizer: when the provider reports no usage for it (or the stream
   * is cancelled or fails first), its usage is counted from them and flagged `estimated: true`.
   */
  estimate?: { prompt: string; tokenizer: Tokenizer };
  /**
   * For a stream of several calls (the accumulate modes): their usage so far, each counted when its provider gave
   * none. Read when the stream ends in any way, in place of the stream's own `finish` usage.
   */
  usageSoFar?: () => TokenUsage | undefined;
  /**
   * Owned by the query: aborted when the stream ends in any way (cancel, `break`, error, signal, or its normal
   * end), which stops every provider request of the query and releases its signal listeners.
   */
  controller?: AbortController;
  /**
   * The caller's signal. Once it aborts, read or not, the stream ends: its provider requests stop, observers see the
   * error, and reading throws {@link AbortError}.
   */
  signal?: AbortSignal;
  /** Observers (instrumentation); more can be added with {@link StreamingResponse.observe}. */
  hooks?: StreamHooks;
  /** The query's clock (its start, retrieval and earlier calls); default: one started now. */
  clock?: QueryClock;
  /**
   * Recognise `[n]` citation markers in the answer as it streams, source `n` being `sourceNodes[n - 1]`
   * (`citation` parts, {@link StreamingResponse.citations}). `true`: with the parser's defaults.
   */
  citations?: boolean | CitationParserOptions;
}

type Delta = TextDeltaPart | ReasoningDeltaPart | CitationPart;
const NO_CITATIONS: readonly Citation[] = Object.freeze([]);
const joinedText = (response: StreamingResponse) => () => response.responseTxt;

type State = "idle" | "reading" | "done" | "cancelled" | "errored";

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
  /** Token usage of every LLM call of the query, once the stream has ended (when the provider reports it). */
  usage: TokenUsage | undefined;
  /** Why the model stopped, once the stream has ended. */
  finishReason: string | undefined;
  /** Number of deltas delivered so far. */
  deltaCount = 0;
  /**
   * Where the query's time went (retrieval, earlier calls, time to first reasoning and answer token, total,
   * tokens per second), once the stream has ended: normally, by cancel or by an error.
   */
  timings: QueryTimings | undefined;

  private readonly init: StreamingResponseInit;
  private readonly stream: AsyncIterable<LLMStreamPart>;
  private readonly observers = new StreamObservers();
  /** Deltas so far, joined lazily into {@link StreamingResponse.responseTxt} (cheaper than `+=` per delta). */
  private readonly textChunks: string[] = [];
  private joined = "";
  private reasoning = "";
  private state: State = "idle";
  private source: AsyncIterator<LLMStreamPart> | undefined;
  /** Who is reading, while `state` is `"reading"`. */
  private readonly readers = new ReaderSlot(
    () => this.stop("cancelled"),
    () => this.consumed(),
  );
  /** The running `getResponse()` drain, shared by every `getResponse()` call made while it runs. */
  private draining: Promise<void> | undefined;
  private error: unknown;
  private streamUsage: TokenUsage | undefined;
  private stopping: Promise<void> | undefined;
  private detachSignal: (() => void) | undefined;
  private readonly clock: QueryClock;
  private firstText: number | undefined;
  private firstReasoning: number | undefined;
  /** A citing answer's citations. */
  private readonly citing: AnswerCitations | undefined;
  private readonly text: () => string = joinedText(this);
  /** Characters of the answer so far (the sum of the text deltas' lengths). */
  private textLength = 0;

  constructor(init: StreamingResponseInit) {
    this.init = init;
    this.clock = init.clock ?? new QueryClock();
    this.stream = init.stream ?? oneChunk(init.text ?? "");
    this.sourceNodes = init.sourceNodes ?? [];
    this.metadata = init.metadata ?? sourceMetadata(this.sourceNodes);
    if (init.hooks) this.observers.add(init.hooks);
    if (init.citations) {
      this.citing = new AnswerCitations(this.sourceNodes, init.citations === true ? {} : init.citations);
    }
    // From now on, not only once reading starts: an abort before the first read still ends the stream, stops its
    // provider requests and tells the observers.
    this.attachSignal();
  }

  /** The text delivered so far; the whole answer once the stream has ended. */
  get responseTxt(): string {
    if (this.textChunks.length > 1) {
      this.joined = this.textChunks.join("");
      this.textChunks.length = 0;
      this.textChunks.push(this.joined);
    } else if (this.textChunks.length === 1) {
      this.joined = this.textChunks[0]!;
    }
    return this.joined;
  }

  /**
   * The citation markers of the answer so far, in order (every one once the stream has ended); empty unless the
   * engine cites (`CitationQueryEngine`). A marker whose number has no source has `nodeId: null`.
   */
  get citations(): readonly Citation[] {
    return this.citing ? this.citing.all(this.textLength, this.text) : NO_CITATIONS;
  }

  /** The model's reasoning so far (`""` when it gave none); never part of {@link responseTxt}. */
  get reasoningTxt(): string {
    return this.reasoning;
  }

  /**
   * The whole answer as typed {@link AnswerPart}s: `sources` first, then `reasoning-delta` and `text-delta` parts
   * in the model's order (text: one per provider chunk), then `finish` (usage, finish reason), or `error` (an
   * error is a part here, not thrown) or `cancelled`. It is the same one pass as {@link responseGen}: read one of
   * them. Leaving the loop early cancels the answer, as with `responseGen`.
   *
   * @example
   * ```ts
   * for await (const part of res.parts) {
   *   if (part.type === "reasoning-delta") process.stderr.write(part.text);
   *   else if (part.type === "text-delta") process.stdout.write(part.text);
   * }
   * ```
   */
  get parts(): AsyncIterable<AnswerPart> {
    return { [Symbol.asyncIterator]: () => answerParts(this) };
  }

  /** The text deltas, as the provider produces them. Same as iterating the response itself. */
  get responseGen(): AsyncIterable<string> {
    return this;
  }

  /** Whether the stream has ended (completely, by cancel, or by an error). */
  get done(): boolean {
    return this.state !== "idle" && this.state !== "reading";
  }

  /** Whether the stream was stopped by `cancel()` or `break` before its end. */
  get cancelled(): boolean {
    return this.state === "cancelled";
  }

  /**
   * One pass over the deltas. While it is live, a second iterator (another `for await`, `toReadableStream()`...)
   * gets {@link StreamConsumedError}; iterating after a complete end replays the whole text as one chunk; after an
   * error it rethrows it; after a cancel it yields nothing.
   *
   * An iterator you hold can be paused (no `next()` pending) and the rest handed to {@link getResponse} or
   * {@link printResponseStream}: they take its place, and its next `next()` is `done`.
   */
  [Symbol.asyncIterator](): AsyncIterator<string> {
    return this.open(true, this.nextText);
  }

  /**
   * The same one pass as {@link responseGen}, with the reasoning: text and reasoning deltas in the order the model
   * gave them. For {@link parts}; `exclusive`: a reader `getResponse()` never takes over (the library's
   * transports), and that refuses to take over a paused one.
   * @internal
   */
  answerDeltas(exclusive: boolean): AsyncIterator<Delta> {
    if (this.state === "reading")
      return exclusive ? this.open(false, this.nextDelta) : this.readers.takeOver(this.nextDelta, true);
    if (this.state !== "idle") return this.replayDeltas();
    return this.open(!exclusive, this.nextDelta);
  }

  /**
   * Writes the deltas to `out` (stdout by default) as they arrive, honouring the writer's backpressure. If `out`
   * closes or fails, the answer is cancelled (the provider request stops) and the write error is thrown.
   *
   * After a partial read it prints the rest, under the rule of {@link getResponse}: it takes the place of a
   * paused iterator (which then ends), and a read that is in flight makes it throw {@link StreamConsumedError}.
   * After the end it prints the whole text once.
   */
  async printResponseStream(out: NodeJS.WritableStream = process.stdout): Promise<void> {
    const deltas = this.takeOver();
    for await (const text of { [Symbol.asyncIterator]: () => deltas }) {
      const outcome = await writeRespectingBackpressure(out, text);
      if (outcome !== "ok") {
        await this.cancel();
        if (outcome instanceof Error) throw outcome;
        return;
      }
    }
  }

  /**
   * Reads the rest of the stream and resolves to the finished {@link Response} (text, sources, usage). Rejects
   * with the stream's error, or with {@link AbortError} (carrying `partialText`) if it was cancelled.
   *
   * It may follow a partial read: the text already read is part of the result. If you read some deltas with an
   * iterator's `next()` and paused without calling `return()`, `getResponse()` takes that iterator's place,
   * reads the rest, and the paused iterator is ended (its next `next()` is `done`; its `return()` no longer
   * cancels). A pause is any moment at which none of that iterator's `next()` calls is pending, so a `for await`
   * whose body is awaiting something else counts as paused, and ends at its next step.
   *
   * A reader that runs at the same time is refused with {@link StreamConsumedError}, and keeps reading: an
   * iterator whose `next()` is in flight when `getResponse()` is called (a `for await` waiting for its next delta),
   * `printResponseStream()`, and the library's transports (`toReadableStream()`, `toEventStreamResponse()`,
   * `pipeToNodeResponse()`, `streamParts()`), which are never taken over while they read. Calls of
   * `getResponse()` made while another one drains share its result.
   */
  async getResponse(): Promise<Response> {
    if (!this.done) {
      this.draining ??= drain(this.takeOver());
      await this.draining;
    }
    if (this.state === "errored") throw this.error;
    if (this.state === "cancelled") {
      throw new AbortError(
        "The stream was cancelled before its end; `partialText` holds what was delivered.",
        {
          partialText: this.responseTxt,
        },
      );
    }
    return new Response({
      response: this.responseTxt,
      reasoning: this.reasoning,
      timings: this.timings,
      sourceNodes: this.sourceNodes,
      metadata: this.metadata,
      usage: this.usage,
      citations: [...this.citations],
    });
  }

  /** Stops the stream and aborts the provider request. A loop reading it ends normally. Safe to call twice. */
  cancel(): Promise<void> {
    return this.stop("cancelled");
  }

  /**
   * Adds an observer that sees every delta and the end (done, error or cancel) without consuming the stream.
   * Add it before reading starts to see every delta.
   */
  observe(hooks: StreamHooks): void {
    this.observers.add(hooks);
  }

  /**
   * The deltas as a pull-based Web `ReadableStream<string>`; cancelling it cancels the answer. It is a reader of
   * its own: it opens at the first read, fails with {@link StreamConsumedError} if another reader holds the stream
   * then (also a paused iterator: it does not take over), and is not taken over by `getResponse()`.
   */
  toReadableStream(): ReadableStream<string> {
    return iterableToReadableStream({ [Symbol.asyncIterator]: () => this.open(false, this.nextText) }, () =>
      this.cancel(),
    );
  }

  /**
   * A Web `Response` streaming server-sent events: `sources`, then one `delta` per chunk, then `usage` and
   * `done`, or an `error` (or `cancelled`) event. For fetch-style servers (Hono, Next.js route handlers, Bun, Deno).
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

  /** Starts the one pass with a new reader, or, once ended, replays. A live pass refuses a second reader. */
  private open<T>(handOver: boolean, next: () => Promise<IteratorResult<T>>): AsyncIterator<T> {
    if (this.state === "reading") throw this.consumed();
    if (this.state !== "idle") return this.replay() as AsyncIterator<T>;
    this.state = "reading";
    this.source = this.stream[Symbol.asyncIterator]();
    return this.readers.attach(handOver, next);
  }

  /**
   * For the drains (`getResponse`, `printResponseStream`): {@link open}, or take the place of a paused hand-over
   * reader. A reader with a read in flight, or one that is not handed over, is running: refused.
   */
  private takeOver(): AsyncIterator<string> {
    if (this.state !== "reading") return this.open(false, this.nextText);
    return this.readers.takeOver(this.nextText, false);
  }

  private consumed(): StreamConsumedError {
    return new StreamConsumedError(
      "This StreamingResponse is already being read. Read it once (responseGen, printResponseStream or " +
        "getResponse; a paused iterator can hand the rest to getResponse or printResponseStream), or read " +
        "`responseTxt` after it ends.",
    );
  }

  /** The text readers' read: the next text delta (reasoning and finish parts are recorded on the way). */
  private readonly nextText = (): Promise<IteratorResult<string>> => {
    if (this.state !== "reading") return this.settled();
    return this.source!.next().then(this.onText, this.onError);
  };

  /** The parts reader's read: the citations of the last text delta, else the next text or reasoning delta. */
  private readonly nextDelta = (): Promise<IteratorResult<Delta>> => {
    if (this.state !== "reading") return this.settled();
    const citation = this.citing?.nextPart();
    if (citation) return Promise.resolve({ done: false, value: citation });
    return this.source!.next().then(this.onDelta, this.onError);
  };

  private readonly onText = (
    result: IteratorResult<LLMStreamPart>,
  ): IteratorResult<string> | Promise<IteratorResult<string>> => {
    if (this.state !== "reading") return this.settled();
    if (result.done) {
      this.finish();
      return DONE;
    }
    const part = result.value;
    const text = part.type === "text-delta" ? part.text : this.other(part);
    return text !== undefined && this.takeText(text) ? { done: false, value: text } : this.nextText();
  };

  private readonly onDelta = (
    result: IteratorResult<LLMStreamPart>,
  ): IteratorResult<Delta> | Promise<IteratorResult<Delta>> => {
    if (this.state !== "reading") return this.settled();
    if (result.done) {
      this.finish();
      return DONE;
    }
    const part = result.value;
    if (part.type === "reasoning-delta") {
      if (part.text === "") return this.nextDelta();
      this.takeReasoning(part.text);
      return { done: false, value: { type: "reasoning-delta", text: part.text } };
    }
    const text = part.type === "text-delta" ? part.text : this.other(part);
    if (text === undefined || !this.takeText(text)) return this.nextDelta();
    this.citing?.delta(text, this.textLength, this.text);
    return { done: false, value: { type: "text-delta", text } };
  };

  /** Records a text delta; `false` for an empty one (a fixed text is one chunk even if empty). */
  private takeText(text: string): boolean {
    if (text === "" && this.init.stream !== undefined) return false;
    if (this.deltaCount === 0) this.firstText = performance.now();
    this.textChunks.push(text);
    this.textLength += text.length;
    if (this.observers.active) this.observers.delta(text, this.deltaCount);
    this.deltaCount++;
    return true;
  }

  private takeReasoning(text: string): void {
    if (this.reasoning === "") this.firstReasoning = performance.now();
    this.reasoning += text;
    if (this.observers.active) this.observers.reasoning(text);
  }

  /**
   * Records a part that is not a text delta (reasoning, finish, raw, or an old-shape `{ delta }` chunk) for a text
   * reader; returns the text it carries (an old-shape chunk), if any.
   */
  private other(part: LLMStreamPart): string | undefined {
    switch (part.type) {
      case "reasoning-delta":
        if (part.text !== "") this.takeReasoning(part.text);
        return undefined;
      case "finish":
        if (part.usage) this.streamUsage = part.usage;
        if (part.finishReason) this.finishReason = part.finishReason;
        return undefined;
      case "text-delta":
        return part.text;
      case "raw":
        return undefined;
      default: {
        let text: string | undefined;
        for (const legacy of legacyParts(part)) {
          if (legacy.type === "text-delta") text = legacy.text;
          else this.other(legacy);
        }
        return text;
      }
    }
  }

  private readonly onError = (error: unknown): Promise<IteratorResult<never>> => {
    if (this.state === "reading") {
      this.fail(
        this.init.signal?.aborted === true && isAbortError(error)
          ? this.abortedBySignal()
          : error instanceof StreamInterruptedError
            ? error
            : new StreamInterruptedError(
                `The answer stream failed after ${this.deltaCount} deltas: ${messageOf(error)}. It was not ` +
                  "retried, since part of the answer had been delivered; that text is on `error.partialText`. " +
                  "Run the query again for a full answer.",
                this.responseTxt,
                { cause: error },
              ),
      );
    }
    return this.settled();
  };

  private finish(): void {
    this.state = "done";
    this.settleUsage();
    this.release();
    const text = this.responseTxt;
    this.observers.notify("onEnd", (h) => h.onEnd?.(text, this.streamUsage, this.finishReason));
  }

  private fail(error: unknown): void {
    this.state = "errored";
    this.error = error;
    this.settleUsage();
    this.release();
    const text = this.responseTxt;
    this.observers.notify("onError", (h) => h.onError?.(error, text));
  }

  /** The query's usage (counting the streamed call's when the provider gave none) and timings, at the end. */
  private settleUsage(): void {
    const estimate = this.init.estimate;
    if (this.init.usageSoFar) this.streamUsage = this.init.usageSoFar() ?? this.streamUsage;
    if (this.streamUsage === undefined && estimate && this.init.stream !== undefined) {
      this.streamUsage = estimateUsage(estimate.tokenizer, estimate.prompt, this.responseTxt, this.reasoning);
    }
    this.usage = addUsage(this.init.priorUsage, this.streamUsage);
    const usage = this.streamUsage;
    const answerTokens = usage ? usage.completionTokens - (usage.reasoningTokens ?? 0) : this.deltaCount;
    this.timings = this.clock.timings(performance.now(), this.firstReasoning, this.firstText, answerTokens);
  }

  /** Ends the query's provider requests and signal listeners (harmless after a normal end). */
  private release(): void {
    this.detachSignal?.();
    this.detachSignal = undefined;
    if (this.init.controller && !this.init.controller.signal.aborted) {
      this.init.controller.abort(new AbortError("The answer stream has ended."));
    }
  }

  /** What a read returns once the stream is no longer live. */
  private settled(): Promise<IteratorResult<never>> {
    return this.state === "errored" ? Promise.reject(this.error) : Promise.resolve(DONE);
  }

  private stop(why: "cancelled" | "aborted"): Promise<void> {
    if (this.stopping) return this.stopping;
    if (this.state !== "idle" && this.state !== "reading") return Promise.resolve();
    // Abort first, so that nothing an observer does can keep the provider running.
    if (why === "aborted") this.fail(this.abortedBySignal());
    else {
      this.state = "cancelled";
      this.settleUsage();
      this.release();
      const text = this.responseTxt;
      this.observers.notify("onCancel", (h) => h.onCancel?.(text));
    }
    const source = this.source ?? this.stream[Symbol.asyncIterator]();
    this.source = source;
    this.stopping = (async () => {
      try {
        await source.return?.();
      } catch {
        // The provider's own cleanup failed after we stopped reading: nothing left to deliver.
      }
    })();
    return this.stopping;
  }

  private attachSignal(): void {
    this.detachSignal = onAbort(this.init.signal, () => void this.stop("aborted"));
  }

  private abortedBySignal(): AbortError {
    return new AbortError("The query was aborted by its signal; `partialText` holds what was delivered.", {
      cause: this.init.signal?.reason,
      partialText: this.responseTxt,
    });
  }

  /** After the end: the reasoning, then the text, each whole (after an error: the error). */
  private replayDeltas(): AsyncIterator<Delta> {
    const queue: Delta[] = [];
    if (this.state === "done") {
      if (this.reasoning !== "") queue.push({ type: "reasoning-delta", text: this.reasoning });
      if (this.responseTxt !== "") queue.push({ type: "text-delta", text: this.responseTxt });
      for (const c of this.citations) queue.push({ type: "citation", ...c });
    }
    return {
      next: async () => {
        if (this.state === "errored") throw this.error;
        const part = queue.shift();
        return part ? { done: false, value: part } : DONE;
      },
    };
  }

  private replay(): AsyncIterator<string> {
    let sent = false;
    return {
      next: async () => {
        if (this.state === "errored") throw this.error;
        if (sent || this.state !== "done" || this.responseTxt === "") return DONE;
        sent = true;
        return { done: false, value: this.responseTxt };
      },
    };
  }
}

/** Reads an iterator to its end. */
async function drain(deltas: AsyncIterator<string>): Promise<void> {
  while (!(await deltas.next()).done);
}

async function* oneChunk(text: string): AsyncGenerator<LLMStreamPart> {
  yield { type: "text-delta", text };
}
