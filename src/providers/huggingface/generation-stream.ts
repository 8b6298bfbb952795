import type { BaseStreamer, PreTrainedModel, StoppingCriteria, Tensor } from "@huggingface/transformers";
import { ProviderError } from "../../errors/index.js";
import { messageOf } from "../../errors/message-of.js";
import type { ThinkSplitterOptions } from "../../llms/think-splitter.js";
import { pushGenerationEnd, ThinkTokens } from "../../llms/think-tokens.js";
import type { LLMStream, LLMStreamPart, TokenUsage } from "../../llms/types.js";
import { ChunkQueue } from "../../streaming/chunk-queue.js";
import { DONE } from "../../streaming/iteration-done.js";
import { onAbort } from "../../utils/abort.js";
import { type DecodeFn, IncrementalDecoder } from "./incremental-decoder.js";
import type { Transformers } from "./load-module.js";

/** Sampling settings passed to `generate()` (transformers.js's names). */
export interface SamplingOptions {
  do_sample: boolean;
  temperature?: number;
  top_k?: number;
  top_p?: number;
}

/** One generation: the loaded model, the prompt and when to stop. */
export interface GenerationSpec {
  tf: Transformers;
  model: PreTrainedModel;
  decode: DecodeFn;
  inputIds: Tensor;
  attentionMask: Tensor;
  promptTokens: number;
  maxNewTokens: number;
  sampling: SamplingOptions;
  eosTokenIds: ReadonlySet<number>;
  /** Chunks generated ahead of the reader at most (0: generate only while the reader waits). */
  readAhead: number;
  signal: AbortSignal | undefined;
  onToken: ((token: number) => void) | undefined;
  /** Called once, when `generate()` has returned or failed. */
  onEnd(): void;
  /** Split a `<think>` block that opens the answer into reasoning parts at these tags; `undefined`: no split. */
  think: ThinkSplitterOptions | undefined;
}

/** A running generation: an {@link LLMStream} that can be stopped and says when transformers.js is done. */
export interface GenerationStream extends LLMStream, AsyncIterator<LLMStreamPart> {
  return(): Promise<IteratorResult<LLMStreamPart>>;
  /** Resolves once `generate()` has returned (or failed); never rejects. */
  readonly finished: Promise<void>;
  /** Forward passes started so far (the prompt's included): what "generation stopped" is measured by. */
  readonly steps: number;
}

type GenerateParams = Parameters<PreTrainedModel["generate"]>[0];

/** Thrown from the gated forward pass to end `generate()` once the stream is stopped; never reaches a user. */
class Halt extends Error {}

/**
 * Runs `model.generate()` as a pull-based {@link LLMStream}, one chunk per generated token (with `think`, a
 * token's text is split into a `reasoning-delta` and a `text-delta` part at a `<think>` block that opens it).
 *
 * transformers.js pushes tokens through a streamer whose `put()` is synchronous, but its generation loop awaits
 * `this.forward()` once per token. The loop runs on a view of the shared model whose `forward` first waits for
 * room: while `readAhead` chunks wait unread (or, with 0, while nobody waits for one) no forward pass starts,
 * which pauses generation exactly: at most `readAhead` tokens are computed ahead of the reader. Every other
 * method, the weights and the ONNX sessions are the shared model's.
 *
 * `return()` (a `break`) or an aborted signal stops it: a custom `StoppingCriteria` ends the loop after the token
 * in flight (a forward pass is synchronous in onnxruntime-node and cannot be interrupted), and a stopped stream
 * waiting for room ends without another forward pass. An error in `generate()` is thrown to the reader.
 */
export function startGeneration(spec: GenerationSpec): GenerationStream {
  return new TransformersStream(spec);
}

class TransformersStream implements GenerationStream, AsyncIterableIterator<LLMStreamPart> {
  private readonly chunks: ChunkQueue;
  private readonly decoder: IncrementalDecoder;
  private readonly think: ThinkTokens | undefined;
  private readonly push = (part: LLMStreamPart) => this.chunks.push(part);
  private generated = 0;
  private lastToken: number | undefined;
  private promptSeen = false;
  /** Detaches the stop on the caller's abort (once generation has ended). */
  private readonly offAbort: () => void;
  steps = 0;
  readonly finished: Promise<void>;

  constructor(private readonly spec: GenerationSpec) {
    this.chunks = new ChunkQueue(spec.readAhead, spec.signal);
    this.decoder = new IncrementalDecoder(spec.decode);
    this.think = spec.think ? new ThinkTokens(spec.think) : undefined;
    this.offAbort = onAbort(spec.signal, () => this.stop());
    this.finished = this.produce();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<LLMStreamPart>> {
    return this.chunks.next();
  }

  async return(): Promise<IteratorResult<LLMStreamPart>> {
    this.stop();
    this.chunks.clear();
    return DONE;
  }

  private get stopped(): boolean {
    return this.chunks.stopped;
  }

  private stop(): void {
    this.chunks.stop();
  }

  /** Runs before every forward pass: waits for room in the queue, or ends generation once stopped. */
  private async gate(): Promise<void> {
    await this.chunks.waitForRoom();
    if (this.stopped) throw new Halt();
    this.steps++;
  }

  /** The streamer's `put()`: the prompt first (skipped), then one call per generated token. */
  private onTokens(ids: bigint[][]): void {
    if (!this.promptSeen) {
      this.promptSeen = true;
      return;
    }
    const token = ids[0]?.[0];
    if (token === undefined) return;
    this.generated++;
    this.lastToken = Number(token);
    this.spec.onToken?.(this.lastToken);
    if (this.stopped) return;
    const text = this.decoder.push(token);
    if (this.think) this.think.token(text, { token: this.lastToken }, this.push);
    else if (text !== "") this.chunks.push({ type: "text-delta", text, raw: { token: this.lastToken } });
  }

  private async produce(): Promise<void> {
    const { spec } = this;
    try {
      await spec.model.generate.call(this.gatedModel(), {
        inputs: spec.inputIds,
        attention_mask: spec.attentionMask,
        max_new_tokens: spec.maxNewTokens,
        ...spec.sampling,
        // The parameter is typed as a TextStreamer; generate() only calls put() and end().
        streamer: this.streamer() as GenerateParams["streamer"],
        stopping_criteria: [this.stopCriterion()],
      });
      if (!this.stopped) {
        const finishReason =
          this.lastToken !== undefined && spec.eosTokenIds.has(this.lastToken)
            ? "stop"
            : this.generated >= spec.maxNewTokens
              ? "length"
              : "stop";
        const usage: TokenUsage = {
          promptTokens: spec.promptTokens,
          completionTokens: this.generated,
          totalTokens: spec.promptTokens + this.generated,
        };
        pushGenerationEnd(this.push, this.think, this.decoder.flush(), usage, finishReason);
      }
    } catch (error) {
      if (!(error instanceof Halt) && !this.stopped) {
        const reason = messageOf(error);
        this.chunks.fail(
          new ProviderError(`transformers.js failed while generating: ${reason}`, {
            provider: "huggingface",
            providerMessage: reason,
            cause: error,
          }),
        );
      }
    } finally {
      this.offAbort();
      spec.onEnd();
      this.chunks.end();
    }
  }

  /** The shared model seen through an object whose `forward` waits at {@link gate} first. */
  private gatedModel(): PreTrainedModel {
    const { model } = this.spec;
    const forward = model.forward;
    const view = Object.create(model) as PreTrainedModel;
    view.forward = async (inputs: Parameters<PreTrainedModel["forward"]>[0]) => {
      await this.gate();
      return forward.call(view, inputs);
    };
    return view;
  }

  private streamer(): BaseStreamer {
    const onTokens = (ids: bigint[][]) => this.onTokens(ids);
    const Streamer = class extends this.spec.tf.BaseStreamer {
      override put(value: bigint[][]): void {
        onTokens(value);
      }
      override end(): void {}
    };
    return new Streamer();
  }

  private stopCriterion(): StoppingCriteria {
    const stopped = () => this.stopped;
    const Criterion = class extends this.spec.tf.StoppingCriteria {
      override _call(inputIds: number[][]): boolean[] {
        return inputIds.map(() => stopped());
      }
    };
    return new Criterion();
  }
}
