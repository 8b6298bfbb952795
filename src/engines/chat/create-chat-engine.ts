import { InvalidArgumentError } from "../../errors/index.js";
import type { NodePostprocessor } from "../../postprocessors/types.js";
import type { PromptLike } from "../../prompts/prompt-template.js";
import type { BaseRetriever } from "../../retrievers/types.js";
import { Settings } from "../../settings/settings.js";
import { getResponseSynthesizer } from "../../synthesizers/get-response-synthesizer.js";
import type { ResponseSynthesizerOptions } from "../../synthesizers/types.js";
import {
  type CitationOptions,
  CitationQueryEngine,
  getCitationSynthesizer,
} from "../citation-query-engine.js";
import { RetrieverQueryEngine } from "../retriever-query-engine.js";
import type { BaseChatEngineOptions } from "./base-chat-engine.js";
import { CondensePlusContextChatEngine } from "./condense-plus-context-chat-engine.js";
import { CondenseQuestionChatEngine } from "./condense-question-chat-engine.js";
import { ContextChatEngine } from "./context-chat-engine.js";
import { SimpleChatEngine } from "./simple-chat-engine.js";
import { CHAT_MODES, type ChatMode, isChatMode } from "./types.js";

/** The default chat mode of {@link createChatEngine} and `index.asChatEngine()`. */
export const DEFAULT_CHAT_MODE = "condense_plus_context" satisfies ChatMode;

/** The engine class of each chat mode. */
export type ChatEngineOf<M extends ChatMode, S extends boolean> = M extends "simple"
  ? SimpleChatEngine<S>
  : M extends "context"
    ? ContextChatEngine<S>
    : M extends "condense_question"
      ? CondenseQuestionChatEngine<S>
      : CondensePlusContextChatEngine<S>;

/**
 * Options of {@link createChatEngine}: the mode, the engine options, and (for `condense_question`, which answers
 * through a query engine) every synthesizer option.
 */
export interface ChatEngineFactoryOptions<S extends boolean, M extends ChatMode>
  extends ResponseSynthesizerOptions<S>,
    BaseChatEngineOptions<S>,
    CitationOptions {
  /**
   * Cite the sources (`condense_question` only, which answers through a query engine: a
   * {@link CitationQueryEngine}); another mode with `citations: true` is an {@link InvalidArgumentError}.
   */
  citations?: boolean;
  /** Default `"condense_plus_context"`. */
  chatMode?: M;
  /** Finds the excerpts (every mode but `simple`). */
  retriever?: BaseRetriever;
  nodePostprocessors?: NodePostprocessor[];
  /** A system message sent first (`simple`, `context`, `condense_plus_context`). */
  systemPrompt?: string;
  /** The system message around the excerpts: `{context}`. */
  contextTemplate?: PromptLike;
  /** Rewrites follow-ups as standalone questions: `{chatHistory}`, `{question}`. */
  condenseTemplate?: PromptLike;
}

/**
 * Builds the chat engine of `chatMode` over a retriever. An unknown mode is an {@link InvalidArgumentError}, here.
 * `index.asChatEngine(options)` is this with `index.asRetriever({ similarityTopK })`.
 *
 * @example
 * ```ts
 * const engine = createChatEngine({ chatMode: "context", retriever: bm25, llm, streaming: true });
 * ```
 */
export function createChatEngine<S extends boolean = false, M extends ChatMode = typeof DEFAULT_CHAT_MODE>(
  options: ChatEngineFactoryOptions<S, M>,
): ChatEngineOf<M, S> {
  const chatMode: unknown = options?.chatMode ?? DEFAULT_CHAT_MODE;
  if (!isChatMode(chatMode)) {
    throw new InvalidArgumentError(
      "chatMode",
      `unknown chat mode ${JSON.stringify(chatMode)}. Use one of: ${CHAT_MODES.join(", ")}.`,
    );
  }
  const { retriever, nodePostprocessors, systemPrompt, contextTemplate, condenseTemplate, memory } = options;
  const { streaming, llm } = options;
  const base = { streaming, llm, memory };
  if (options.citations && chatMode !== "condense_question") {
    throw new InvalidArgumentError(
      "citations",
      `chat mode "${chatMode}" does not cite: use chatMode "condense_question", which answers through a ` +
        "citing query engine.",
    );
  }
  const needsRetriever = (): BaseRetriever => {
    if (retriever === undefined) {
      throw new InvalidArgumentError("retriever", `chat mode "${chatMode}" retrieves: pass a retriever.`);
    }
    return retriever;
  };
  switch (chatMode) {
    case "simple":
      return new SimpleChatEngine<S>({ ...base, systemPrompt }) as ChatEngineOf<M, S>;
    case "context":
      return new ContextChatEngine<S>({
        ...base,
        retriever: needsRetriever(),
        nodePostprocessors,
        systemPrompt,
        contextTemplate,
      }) as ChatEngineOf<M, S>;
    case "condense_plus_context":
      return new CondensePlusContextChatEngine<S>({
        ...base,
        retriever: needsRetriever(),
        nodePostprocessors,
        systemPrompt,
        contextTemplate,
        condenseTemplate,
      }) as ChatEngineOf<M, S>;
    case "condense_question": {
      // Settings are read now: the streaming engine that streamChat() builds on first use answers alike.
      const synth = synthesizerOptions(options);
      synth.llm ??= Settings.hasLLM ? Settings.llm : undefined;
      synth.tokenizer ??= Settings.tokenizerOverride;
      const engineFor = <T extends boolean>(o: ResponseSynthesizerOptions<T>): RetrieverQueryEngine<T> => {
        if (!options.citations) {
          return new RetrieverQueryEngine<T>({
            retriever: needsRetriever(),
            responseSynthesizer: getResponseSynthesizer<T>(o),
            nodePostprocessors,
          });
        }
        const { citationChunkSize, citationChunkOverlap, citationParser } = options;
        return new CitationQueryEngine<T>({
          retriever: needsRetriever(),
          responseSynthesizer: getCitationSynthesizer<T>(o),
          nodePostprocessors,
          citationChunkSize,
          citationChunkOverlap,
          citationParser,
        });
      };
      const queryEngine = engineFor<S>(synth);
      return new CondenseQuestionChatEngine<S>({
        llm,
        memory,
        queryEngine,
        condenseTemplate,
        streamingQueryEngine: () => engineFor({ ...synth, streaming: true }),
      }) as ChatEngineOf<M, S>;
    }
  }
}

/** The synthesizer options among the factory's (for `condense_question`). */
function synthesizerOptions<S extends boolean>(
  options: ResponseSynthesizerOptions<S>,
): ResponseSynthesizerOptions<S> {
  const { streaming, responseMode, llm, textQATemplate, refineTemplate, summaryTemplate } = options;
  const {
    generationTemplate,
    emptyResponseText,
    maxConcurrency,
    accumulateSeparator,
    promptHelper,
    tokenizer,
  } = options;
  return {
    streaming,
    responseMode,
    llm,
    textQATemplate,
    refineTemplate,
    summaryTemplate,
    generationTemplate,
    emptyResponseText,
    maxConcurrency,
    accumulateSeparator,
    promptHelper,
    tokenizer,
  };
}
