import type { PreTrainedModel, PreTrainedTokenizer, Tensor } from "@huggingface/transformers";
import { BadRequestError } from "../../errors/index.js";
import { BaseLLM, messagesToPrompt } from "../../llms/base-llm.js";
import type { ThinkSplitterOptions } from "../../llms/think-splitter.js";
import { promptTailTokens, resolveThinkTags, thinkTagsForPrompt } from "../../llms/think-tokens.js";
import type { ChatMessage, LLMCallOptions, LLMMetadata, LLMStream } from "../../llms/types.js";
import { raceAbort, throwIfAborted } from "../../utils/abort.js";
import type { Tokenizer } from "../../utils/tokenizer.js";
import { type GenerationStream, type SamplingOptions, startGeneration } from "./generation-stream.js";
import { type LoadedCausalLM, loadCausalLM, modelKey } from "./load-model.js";
import { loadTransformers, type Transformers } from "./load-module.js";
import { type Lease, lease } from "./model-cache.js";
import { type ModelSource, resolveModelSource } from "./model-source.js";
import { type HuggingFaceLLMOptions, type ResolvedLLMOptions, resolveLLMOptions } from "./options.js";

interface Ready {
  tf: Transformers;
  loaded: LoadedCausalLM;
  /** The think tags to split the answer at (see `thinkTags`), or `undefined` for none. */
  think: ThinkSplitterOptions | undefined;
}

interface Prompt {
  inputIds: Tensor;
  attentionMask: Tensor;
  length: number;
}

/** Tokens kept free for what a chat template adds around the prompt (role markers, a default system line). */
const TEMPLATE_RESERVE = 64;
const DEFAULT_CONTEXT = 2048;

/**
 * A causal language model run in-process by transformers.js (`@huggingface/transformers`, an optional peer
 * dependency) on onnxruntime-node. Streams one chunk per generated token, pulled: transformers.js computes at
 * most `readAheadTokens` tokens ahead of the reader, and `break`, `cancel()` or an aborted signal stop it after
 * the token in flight.
 *
 * The model and tokenizer load on first use (or `await llm.load()`), once per (model, dtype, device) for every
 * instance. Prompts are wrapped in the tokenizer's chat template when it has one. A local directory is checked
 * at construction (missing files throw at once) and always loaded with remote loading off.
 *
 * A reasoning model's `<think>…</think>` block that opens the answer streams as `reasoning-delta` parts, apart
 * from the answer (by default when the chat template uses think tags; see {@link HuggingFaceLLMOptions.thinkTags}).
 * After a prompt that ends with the open tag (a template that pre-fills it), the output is reasoning up to the
 * close tag.
 *
 * @example
 * ```ts
 * import { HuggingFaceLLM } from "streamdex/huggingface";
 * Settings.llm = new HuggingFaceLLM({ model: "./models/Qwen2.5-0.5B-Instruct", dtype: "q4", maxNewTokens: 256 });
 * ```
 */
export class HuggingFaceLLM extends BaseLLM {
  readonly metadata: LLMMetadata;
  private readonly opts: ResolvedLLMOptions;
  private readonly source: ModelSource;
  private readonly explicitChat: boolean | undefined;
  private readonly onToken: ((token: number) => void) | undefined;
  private lease: Lease<LoadedCausalLM> | undefined;
  private readying: Promise<Ready> | undefined;
  private readonly streams = new Set<GenerationStream>();
  private contextWindow: number;

  constructor(options: HuggingFaceLLMOptions) {
    super();
    this.opts = resolveLLMOptions(options);
    this.source = resolveModelSource(this.opts.model, this.opts.dtype);
    this.explicitChat = options.isChatModel;
    this.onToken = options.onToken;
    const facts = this.source.facts;
    this.contextWindow = this.opts.contextWindow ?? facts?.contextLength ?? DEFAULT_CONTEXT;
    const isChatModel = options.isChatModel ?? facts?.hasChatTemplate ?? true;
    this.metadata = {
      model: this.source.name,
      contextWindow: usableWindow(this.contextWindow, isChatModel),
      numOutput: this.opts.maxNewTokens ?? defaultMaxTokens(this.contextWindow),
      isChatModel,
    };
  }

  /** Loads the model and tokenizer now, instead of on the first call. */
  async load(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.ready(options.signal);
  }

  /** The transformers.js model (loaded on demand), shared with every instance on the same model. */
  async getModel(): Promise<PreTrainedModel> {
    return (await this.ready(undefined)).loaded.model;
  }

  /**
   * A tokenizer that counts with this model's own vocabulary; synthesizers pack prompts with it, and
   * `Settings.tokenizer = await llm.getTokenizer()` makes chunk sizes count it too.
   */
  async getTokenizer(): Promise<Tokenizer> {
    const { tokenizer } = (await this.ready(undefined)).loaded;
    const encode = (text: string) => tokenizer.encode(text, { add_special_tokens: false });
    return {
      encode,
      decode: (tokens) => tokenizer.decode(tokens, { skip_special_tokens: true }),
      countTokens: (text) => encode(text).length,
    };
  }

  /**
   * Stops this instance's generations (their readers see the end of the stream) and releases the model, which is
   * unloaded when no other instance holds it. The instance can be used again afterwards (it reloads).
   */
  async dispose(): Promise<void> {
    const streams = [...this.streams];
    await Promise.allSettled(streams.map((s) => s.return()));
    await Promise.allSettled(streams.map((s) => s.finished));
    const held = this.lease;
    this.lease = undefined;
    this.readying = undefined;
    await held?.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  protected override async doStreamComplete(prompt: string, options: LLMCallOptions): Promise<LLMStream> {
    if (this.metadata.isChatModel) return this.doStreamChat([{ role: "user", content: prompt }], options);
    return this.generate((ready) => tokenize(ready, prompt), options.signal);
  }

  protected override async doStreamChat(
    messages: ChatMessage[],
    options: LLMCallOptions,
  ): Promise<LLMStream> {
    if (!this.metadata.isChatModel) return this.doStreamComplete(messagesToPrompt(messages), options);
    return this.generate((ready) => applyTemplate(ready, messages), options.signal);
  }

  private async generate(
    build: (ready: Ready) => Prompt,
    signal: AbortSignal | undefined,
  ): Promise<LLMStream> {
    throwIfAborted(signal);
    const ready = await this.ready(signal);
    throwIfAborted(signal);
    const prompt = build(ready);
    const room = this.contextWindow - prompt.length;
    if (room < 1) {
      throw new BadRequestError(
        `The prompt is ${prompt.length} tokens; the model attends to ${this.contextWindow} (prompt and answer). ` +
          "Shorten the prompt, retrieve fewer nodes, or pass a smaller contextWindow so prompt packing leaves room.",
        { provider: "huggingface" },
      );
    }
    const { tf, loaded } = ready;
    const stream = startGeneration({
      tf,
      model: loaded.model,
      decode: (tokens) =>
        loaded.tokenizer.decode(tokens as bigint[], {
          skip_special_tokens: true,
          clean_up_tokenization_spaces: false,
        }),
      inputIds: prompt.inputIds,
      attentionMask: prompt.attentionMask,
      promptTokens: prompt.length,
      maxNewTokens: Math.min(this.metadata.numOutput, room),
      sampling: this.sampling(),
      eosTokenIds: loaded.eosTokenIds,
      readAhead: this.opts.readAheadTokens,
      signal,
      onToken: this.onToken,
      onEnd: () => this.streams.delete(stream),
      think: promptThink(loaded.tokenizer, prompt, ready.think),
    });
    this.streams.add(stream);
    return stream;
  }

  private sampling(): SamplingOptions {
    const { doSample, temperature, topK, topP } = this.opts;
    return {
      do_sample: doSample,
      ...(temperature !== undefined ? { temperature } : {}),
      ...(topK !== undefined ? { top_k: topK } : {}),
      ...(topP !== undefined ? { top_p: topP } : {}),
    };
  }

  /** The loaded model and tokenizer; loads once, waits abortably. */
  private ready(signal: AbortSignal | undefined): Promise<Ready> {
    if (!this.readying) {
      const readying = this.prepare();
      this.readying = readying;
      readying.catch(() => {
        if (this.readying === readying) this.readying = undefined;
      });
    }
    return raceAbort(this.readying, signal);
  }

  private async prepare(): Promise<Ready> {
    const tf = await loadTransformers();
    const spec = {
      tf,
      model: this.opts.model,
      source: this.source,
      dtype: this.opts.dtype,
      device: this.opts.device,
    };
    this.lease ??= lease(modelKey("causal-lm", spec), () => loadCausalLM(spec));
    const held = this.lease;
    try {
      const loaded = await held.value;
      this.adoptModelFacts(loaded);
      return { tf, loaded, think: resolveThinkTags(this.opts.thinkTags, loaded.tokenizer.chat_template) };
    } catch (error) {
      if (this.lease === held) this.lease = undefined;
      await held.release();
      throw error;
    }
  }

  /** For Hub models, what config.json and the tokenizer say is known only now. */
  private adoptModelFacts(loaded: LoadedCausalLM): void {
    if (this.source.facts) return;
    if (this.opts.contextWindow === undefined && loaded.contextLength !== undefined) {
      this.contextWindow = loaded.contextLength;
      if (this.opts.maxNewTokens === undefined)
        this.metadata.numOutput = defaultMaxTokens(this.contextWindow);
    }
    if (this.explicitChat === undefined) this.metadata.isChatModel = Boolean(loaded.tokenizer.chat_template);
    this.metadata.contextWindow = usableWindow(this.contextWindow, this.metadata.isChatModel);
  }
}

function tokenize(ready: Ready, prompt: string): Prompt {
  const encoded = ready.loaded.tokenizer(prompt);
  return promptOf(encoded.input_ids, encoded.attention_mask);
}

function applyTemplate(ready: Ready, messages: ChatMessage[]): Prompt {
  const encoded = ready.loaded.tokenizer.apply_chat_template(messages, {
    add_generation_prompt: true,
    tokenize: true,
    return_dict: true,
    return_tensor: true,
  });
  return promptOf(encoded.input_ids, encoded.attention_mask);
}

/**
 * The think tags for one prompt: `opened` when the prompt as sent ends with the open tag (a chat template that
 * pre-fills `<think>\n`, or a raw prompt ending with it). Only its last few tokens are decoded, special ones
 * spelt out.
 */
function promptThink(
  tokenizer: PreTrainedTokenizer,
  prompt: Prompt,
  think: ThinkSplitterOptions | undefined,
): ThinkSplitterOptions | undefined {
  if (!think || prompt.length === 0) return think;
  const tail = prompt.inputIds.slice(null, [
    Math.max(0, prompt.length - promptTailTokens(think)),
    prompt.length,
  ]);
  const text = tokenizer.decode(tail, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  return thinkTagsForPrompt(think, text);
}

function promptOf(inputIds: Tensor, attentionMask: Tensor): Prompt {
  return { inputIds, attentionMask, length: inputIds.dims.at(-1) ?? 0 };
}

/** What prompt packing may fill: the context less the chat template's reserve and the answer. */
function usableWindow(contextWindow: number, isChatModel: boolean): number {
  return Math.max(1, contextWindow - (isChatModel ? TEMPLATE_RESERVE : 0));
}

function defaultMaxTokens(contextWindow: number): number {
  return Math.max(1, Math.min(512, Math.floor(contextWindow / 4)));
}
