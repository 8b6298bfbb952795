import { basename } from "node:path";
import type { ChatWrapper, LlamaModel, SequenceEvaluateOptions, Token } from "node-llama-cpp";
import { BadRequestError } from "../../errors/index.js";
import { BaseLLM, messagesToPrompt } from "../../llms/base-llm.js";
import type { ThinkSplitterOptions } from "../../llms/think-splitter.js";
import { promptTailTokens, resolveThinkTags, thinkTagsForPrompt } from "../../llms/think-tokens.js";
import type { ChatMessage, LLMCallOptions, LLMMetadata, LLMStream } from "../../llms/types.js";
import { raceAbort, throwIfAborted } from "../../utils/abort.js";
import type { Tokenizer } from "../../utils/tokenizer.js";
import { loadNodeLlamaCpp } from "./load-module.js";
import { leaseModel, type ModelLease, type SharedModel } from "./model-cache.js";
import { checkLocalModel, downloadModel, isModelUri } from "./model-file.js";
import { type LlamaCppOptions, type ResolvedLlamaCppOptions, resolveOptions } from "./options.js";
import { chatPrompt, completionPrompt, type PreparedPrompt } from "./prompt.js";
import type { SequencePool } from "./sequence-pool.js";
import { type GenerationStream, startGeneration } from "./token-stream.js";

interface Ready {
  shared: SharedModel;
  pool: SequencePool;
  wrapper: ChatWrapper;
  /** The think tags to split the answer at (see `thinkTags`), or `undefined` for none. */
  think: ThinkSplitterOptions | undefined;
}

/**
 * A GGUF model run in-process by llama.cpp (through `node-llama-cpp`, an optional peer dependency). Streams one
 * chunk per generated token, pulled: llama.cpp generates only as fast as the answer is read (at most
 * `readAheadTokens` ahead), and `break`, `cancel()` or an aborted signal stop it after the token in flight.
 *
 * The model loads on first use (or `await llm.load()`), once per file for every instance. A call is accepted at
 * once and queues for one of the context's `sequences` (FIFO): concurrent queries never fail for lack of a
 * sequence, they wait their turn. Prompts are wrapped in the model's own chat template when the GGUF has one.
 *
 * A reasoning model's `<think>…</think>` block that opens the answer streams as `reasoning-delta` parts, apart
 * from the answer (by default when the chat template uses think tags; see {@link LlamaCppOptions.thinkTags}).
 * After a prompt that ends with the open tag (a template that pre-fills it), the output is reasoning up to the
 * close tag.
 *
 * @example
 * ```ts
 * import { LlamaCpp } from "streamdex/llamacpp";
 * Settings.llm = new LlamaCpp({ modelPath: "./models/qwen2.5-0.5b-instruct-q4_k_m.gguf", maxTokens: 256 });
 * ```
 */
export class LlamaCpp extends BaseLLM {
  readonly metadata: LLMMetadata;
  private readonly opts: ResolvedLlamaCppOptions;
  private readonly explicitChat: boolean | undefined;
  private readonly onToken: ((token: number) => void) | undefined;
  private readonly llama: LlamaCppOptions["llama"];
  /** Absolute path of the GGUF once known (at construction for local files, after download for URIs). */
  private localPath: string | undefined;
  private lease: ModelLease | undefined;
  private readying: Promise<Ready> | undefined;
  private readonly streams = new Set<GenerationStream>();
  /** Tokens a sequence holds (prompt and answer); `metadata.contextWindow` keeps room for the chat template. */
  private contextSize: number;

  constructor(options: LlamaCppOptions) {
    super();
    this.opts = resolveOptions(options);
    this.explicitChat = options.isChatModel;
    this.onToken = options.onToken;
    this.llama = options.llama;
    this.contextSize = this.opts.contextSize;
    let hasTemplate = true;
    let name = this.opts.modelPath;
    if (!isModelUri(this.opts.modelPath)) {
      const { path, header } = checkLocalModel(this.opts.modelPath);
      this.localPath = path;
      this.contextSize = Math.min(this.contextSize, header.trainContextSize ?? this.contextSize);
      hasTemplate = header.hasChatTemplate;
      name = header.name ?? basename(path);
    }
    const isChatModel = options.isChatModel ?? hasTemplate;
    this.metadata = {
      model: name,
      contextWindow: usableWindow(this.contextSize, isChatModel),
      numOutput: this.opts.maxTokens ?? defaultMaxTokens(this.contextSize),
      isChatModel,
    };
  }

  /** Loads the model and creates its context now, instead of on the first call. */
  async load(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.ready(options.signal);
  }

  /** The node-llama-cpp model (loaded on demand), shared with every instance on the same file. */
  async getModel(): Promise<LlamaModel> {
    return (await this.ready(undefined)).shared.model;
  }

  /**
   * A tokenizer that counts with this model's own vocabulary. Set it as `Settings.tokenizer` so chunk sizes and
   * prompt packing are measured in the tokens llama.cpp will see (the default counts OpenAI's cl100k tokens).
   */
  async getTokenizer(): Promise<Tokenizer> {
    const model = await this.getModel();
    return {
      encode: (text) => model.tokenize(text, false),
      decode: (tokens) => model.detokenize(tokens as Token[]),
      countTokens: (text) => model.tokenize(text, false).length,
    };
  }

  /**
   * Stops using the model: stops this instance's generations (their readers see the end of the stream), and
   * unloads the model when no other instance holds it. The instance can be used again afterwards (it reloads).
   */
  async dispose(): Promise<void> {
    const streams = [...this.streams];
    await Promise.allSettled(streams.map((s) => s.return()));
    await Promise.allSettled(streams.map((s) => s.finished));
    const lease = this.lease;
    this.lease = undefined;
    this.readying = undefined;
    await lease?.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  protected override async doStreamComplete(prompt: string, options: LLMCallOptions): Promise<LLMStream> {
    if (this.metadata.isChatModel) return this.doStreamChat([{ role: "user", content: prompt }], options);
    return this.generate((ready) => completionPrompt(ready.shared.model, prompt), options.signal);
  }

  protected override async doStreamChat(
    messages: ChatMessage[],
    options: LLMCallOptions,
  ): Promise<LLMStream> {
    if (!this.metadata.isChatModel) return this.doStreamComplete(messagesToPrompt(messages), options);
    return this.generate((ready) => chatPrompt(ready.shared.model, ready.wrapper, messages), options.signal);
  }

  private async generate(
    build: (ready: Ready) => PreparedPrompt,
    signal: AbortSignal | undefined,
  ): Promise<LLMStream> {
    throwIfAborted(signal);
    const ready = await this.ready(signal);
    const prompt = build(ready);
    const room = this.contextSize - prompt.tokens.length - 1;
    if (room < 1) {
      throw new BadRequestError(
        `The prompt is ${prompt.tokens.length} tokens; the context holds ${this.contextSize} (prompt and ` +
          "answer). Shorten the prompt, retrieve fewer nodes, or raise contextSize; `Settings.tokenizer = await " +
          "llm.getTokenizer()` makes prompt packing count this model's tokens.",
        { provider: "llamacpp", status: undefined },
      );
    }
    const stream = startGeneration({
      model: ready.shared.model,
      acquire: (stop) => ready.pool.acquire(stop),
      release: (sequence) => ready.pool.release(sequence),
      onEnd: () => this.streams.delete(stream),
      tokens: prompt.tokens,
      stopTokens: prompt.stopTokens,
      stopTexts: prompt.stopTexts,
      maxTokens: Math.min(this.metadata.numOutput, room),
      sampling: this.sampling(),
      readAhead: this.opts.readAheadTokens,
      signal,
      onToken: this.onToken,
      think: promptThink(ready.shared.model, prompt.tokens, ready.think),
    });
    this.streams.add(stream);
    return stream;
  }

  private sampling(): SequenceEvaluateOptions {
    const { temperature, topK, topP, minP, seed } = this.opts;
    return {
      temperature,
      ...(topK !== undefined ? { topK } : {}),
      ...(topP !== undefined ? { topP } : {}),
      ...(minP !== undefined ? { minP } : {}),
      ...(seed !== undefined ? { seed } : {}),
    };
  }

  /** The loaded model, its context pool and chat wrapper; loads once, waits abortably. */
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
    const nlc = await loadNodeLlamaCpp();
    this.localPath ??= await downloadModel(nlc, this.opts.modelPath, this.opts.modelsDirectory, undefined);
    if (!this.lease) {
      this.lease = leaseModel({ nlc, path: this.localPath, gpu: this.opts.gpu, llama: this.llama });
    }
    const lease = this.lease;
    try {
      const shared = await lease.model;
      this.adoptModelFacts(shared.model);
      const pool = await shared.pool({
        contextSize: this.contextSize,
        threads: this.opts.threads,
        sequences: this.opts.sequences,
      });
      const template = shared.model.fileInfo.metadata?.tokenizer?.chat_template;
      return {
        shared,
        pool,
        wrapper: nlc.resolveChatWrapper(shared.model),
        think: resolveThinkTags(this.opts.thinkTags, template),
      };
    } catch (error) {
      if (this.lease === lease) this.lease = undefined;
      await lease.release();
      throw error;
    }
  }

  /** For downloaded models, what the header says is known only now. */
  private adoptModelFacts(model: LlamaModel): void {
    const train = model.trainContextSize;
    if (train > 0 && this.contextSize > train) {
      this.contextSize = train;
      if (this.opts.maxTokens === undefined) this.metadata.numOutput = defaultMaxTokens(train);
    }
    if (this.explicitChat === undefined) {
      this.metadata.isChatModel = Boolean(model.fileInfo.metadata?.tokenizer?.chat_template);
    }
    this.metadata.contextWindow = usableWindow(this.contextSize, this.metadata.isChatModel);
  }
}

/**
 * The think tags for one prompt: `opened` when the prompt as sent ends with the open tag (a chat template that
 * pre-fills `<think>\n`, or a raw prompt ending with it). Only its last few tokens are decoded, special ones
 * spelt out.
 */
function promptThink(
  model: LlamaModel,
  tokens: readonly Token[],
  think: ThinkSplitterOptions | undefined,
): ThinkSplitterOptions | undefined {
  if (!think || tokens.length === 0) return think;
  return thinkTagsForPrompt(think, model.detokenize(tokens.slice(-promptTailTokens(think)), true));
}

/**
 * What prompt packing may fill: the context less what the chat template adds around the prompt (role markers;
 * some templates, like Llama 3.1's, add a short system message), or less the BOS token for raw completion.
 */
function usableWindow(contextSize: number, isChatModel: boolean): number {
  return Math.max(1, contextSize - (isChatModel ? TEMPLATE_RESERVE : 1));
}

const TEMPLATE_RESERVE = 64;

function defaultMaxTokens(contextWindow: number): number {
  return Math.max(1, Math.min(512, Math.floor(contextWindow / 4)));
}
