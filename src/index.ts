/**
 * streamdex: answer questions over your documents and stream the answer token by token.
 *
 * @example
 * ```ts
 * import { Settings, SimpleDirectoryReader, VectorStoreIndex } from "streamdex";
 * const documents = await new SimpleDirectoryReader().loadData("./data");
 * const index = await VectorStoreIndex.fromDocuments(documents);
 * const res = await index.asQueryEngine({ streaming: true, similarityTopK: 1 }).query("What did the author do growing up?");
 * for await (const text of res.responseGen) process.stdout.write(text);
 * ```
 *
 * Every name is exported explicitly (no `export *`); `test/public-api.test.ts` pins the list of each entry point.
 * @module
 */

export type { Citation, CitationParserOptions, SourceLookup } from "./citations/citation-parser.js";
export { CitationParser, parseCitations } from "./citations/citation-parser.js";
export { CitationSource } from "./citations/numbered-sources.js";
export type { BaseEmbeddingOptions, EmbedCallOptions, EmbeddingUsage } from "./embeddings/base-embedding.js";
export { BaseEmbedding } from "./embeddings/base-embedding.js";
export type { MockEmbeddingOptions } from "./embeddings/mock-embedding.js";
export { MockEmbedding } from "./embeddings/mock-embedding.js";
export type {
  BaseChatEngineOptions,
  ChatFinalStep,
  ChatPlanContext,
} from "./engines/chat/base-chat-engine.js";
export { BaseChatEngine } from "./engines/chat/base-chat-engine.js";
export { DEFAULT_CONDENSE_PROMPT, DEFAULT_CONTEXT_SYSTEM_PROMPT } from "./engines/chat/chat-prompts.js";
export type { CondensePlusContextChatEngineOptions } from "./engines/chat/condense-plus-context-chat-engine.js";
export { CondensePlusContextChatEngine } from "./engines/chat/condense-plus-context-chat-engine.js";
export type { CondenseQuestionChatEngineOptions } from "./engines/chat/condense-question-chat-engine.js";
export { CondenseQuestionChatEngine } from "./engines/chat/condense-question-chat-engine.js";
export type { ContextChatEngineOptions } from "./engines/chat/context-chat-engine.js";
export { ContextChatEngine } from "./engines/chat/context-chat-engine.js";
export type { ChatEngineFactoryOptions, ChatEngineOf } from "./engines/chat/create-chat-engine.js";
export { createChatEngine } from "./engines/chat/create-chat-engine.js";
export type { SimpleChatEngineOptions } from "./engines/chat/simple-chat-engine.js";
export { SimpleChatEngine } from "./engines/chat/simple-chat-engine.js";
export type { ChatEngine, ChatMode, ChatOptions, ChatOutput } from "./engines/chat/types.js";
export { CHAT_MODES } from "./engines/chat/types.js";
export type { CitationOptions, CitationQueryEngineOptions } from "./engines/citation-query-engine.js";
export { CitationQueryEngine, getCitationSynthesizer } from "./engines/citation-query-engine.js";
export type { QueryOptions, RetrieverQueryEngineOptions } from "./engines/retriever-query-engine.js";
export { RetrieverQueryEngine } from "./engines/retriever-query-engine.js";
export {
  AbortError,
  AuthenticationError,
  BadRequestError,
  InvalidArgumentError,
  MalformedResponseError,
  MissingDependencyError,
  ModelNotFoundError,
  NotImplementedError,
  PermissionDeniedError,
  ProviderConnectionError,
  ProviderError,
  ProviderServerError,
  ProviderTimeoutError,
  RateLimitError,
  ReaderError,
  StorageError,
  StreamConsumedError,
  StreamdexError,
  StreamInterruptedError,
} from "./errors/index.js";
export type { ProviderErrorInit } from "./errors/provider-errors.js";
export type {
  VectorChatEngineOptions,
  VectorQueryEngineOptions,
  VectorStoreIndexOptions,
} from "./indices/vector-store-index.js";
export { loadIndexFromStorage, VectorStoreIndex } from "./indices/vector-store-index.js";
export type {
  PdfPagesMode,
  SimpleDirectoryReaderInput,
  SimpleDirectoryReaderOptions,
} from "./ingestion/readers/simple-directory-reader.js";
export { SimpleDirectoryReader } from "./ingestion/readers/simple-directory-reader.js";
export type { SentenceSplitterOptions } from "./ingestion/splitters/sentence-splitter.js";
export { SentenceSplitter } from "./ingestion/splitters/sentence-splitter.js";
export type { NodeParser } from "./ingestion/types.js";
export type {
  EventHandler,
  EventOf,
  StreamdexEvent,
  StreamdexEventType,
  SynthesizeProgressEvent,
} from "./instrumentation/events.js";
export { EventDispatcher } from "./instrumentation/events.js";
export { BaseLLM } from "./llms/base-llm.js";
export type { ExtractiveLLMOptions } from "./llms/extractive-llm.js";
export { ExtractiveLLM } from "./llms/extractive-llm.js";
export type { MockChunking, MockLLMCall, MockLLMOptions } from "./llms/mock-llm.js";
export { MockLLM } from "./llms/mock-llm.js";
export type { ThinkPhase, ThinkSplit, ThinkSplitEnd, ThinkSplitterOptions } from "./llms/think-splitter.js";
export { ThinkSplitter } from "./llms/think-splitter.js";
export type {
  ChatMessage,
  ChatResponse,
  CompletionResponse,
  FinishPart,
  LLM,
  LLMCallOptions,
  LLMChunk,
  LLMMetadata,
  LLMStream,
  LLMStreamPart,
  MessageRole,
  RawPart,
  ReasoningDeltaPart,
  TextDeltaPart,
  TokenUsage,
} from "./llms/types.js";
export type { ChatMemoryBufferOptions, ChatMemoryGetOptions } from "./memory/chat-memory-buffer.js";
export { ChatMemoryBuffer } from "./memory/chat-memory-buffer.js";
export {
  ChatStoreUnavailableError,
  ConversationBusyError,
  ConversationConflictError,
  ConversationFullError,
} from "./memory/chat-store/errors.js";
export type { InMemoryChatStoreOptions } from "./memory/chat-store/in-memory-chat-store.js";
export { InMemoryChatStore } from "./memory/chat-store/in-memory-chat-store.js";
export type {
  ChatOpenOptions,
  ChatSession,
  ChatStore,
  ChatStoreLimits,
} from "./memory/chat-store/types.js";
export type { ChatTurn } from "./memory/chat-turn.js";
export { InvalidChatMemoryError } from "./memory/errors.js";
export type { ChatMemoryJSON } from "./memory/memory-json.js";
export { SimilarityPostprocessor } from "./postprocessors/similarity-postprocessor.js";
export type { NodePostprocessor } from "./postprocessors/types.js";
export {
  CITATION_QA_PROMPT,
  CITATION_REFINE_PROMPT,
  CITATION_SUMMARY_PROMPT,
} from "./prompts/citation-prompts.js";
export {
  DEFAULT_GENERATION_PROMPT,
  DEFAULT_QA_PROMPT,
  DEFAULT_REFINE_PROMPT,
  DEFAULT_SUMMARY_PROMPT,
} from "./prompts/default-prompts.js";
export type { PromptHelperOptions } from "./prompts/prompt-helper.js";
export { PromptHelper } from "./prompts/prompt-helper.js";
export type { PromptLike } from "./prompts/prompt-template.js";
export { PromptTemplate } from "./prompts/prompt-template.js";
export type { BM25RetrieverOptions } from "./retrievers/bm25-retriever.js";
export { BM25Retriever } from "./retrievers/bm25-retriever.js";
export type { QueryFusionRetrieverOptions } from "./retrievers/fusion-retriever.js";
export { fusionRetriever, QueryFusionRetriever } from "./retrievers/fusion-retriever.js";
export type { BaseRetriever, RetrieveOptions } from "./retrievers/types.js";
export type { VectorIndexRetrieverOptions } from "./retrievers/vector-index-retriever.js";
export { VectorIndexRetriever } from "./retrievers/vector-index-retriever.js";
export type { Metadata, NodeWithScore, TextNodeInit, TextNodeJSON } from "./schema/node.js";
export { Document, MetadataMode, TextNode } from "./schema/node.js";
export type { ResponseMetadata } from "./schema/response.js";
export { Response } from "./schema/response.js";
export type { GlobalSettings } from "./settings/settings.js";
export { Settings } from "./settings/settings.js";
export type { SimpleDocumentStoreJSON } from "./storage/docstore/simple-document-store.js";
export { SimpleDocumentStore } from "./storage/docstore/simple-document-store.js";
export type { PersistFileSystem } from "./storage/persist-fs.js";
export type { PersistOptions, StorageContextOptions } from "./storage/storage-context.js";
export { loadStorageContext, StorageContext, storageContextFromDefaults } from "./storage/storage-context.js";
export { FILTER_OPERATORS } from "./storage/vector-store/metadata-filters.js";
export type {
  KernelBackend,
  SimpleVectorStoreHeader,
  SimpleVectorStoreLoadOptions,
  SimpleVectorStoreOptions,
  SimpleVectorStoreQueryStats,
} from "./storage/vector-store/simple-vector-store.js";
export { SimpleVectorStore } from "./storage/vector-store/simple-vector-store.js";
export type {
  FilterOperator,
  MetadataFilter,
  MetadataFilters,
  VectorStore,
  VectorStoreAddOptions,
  VectorStoreAddProgress,
  VectorStoreQuery,
  VectorStoreQueryResult,
} from "./storage/vector-store/types.js";
export type { AnswerPart, CitationPart } from "./streaming/answer-part.js";
export type { PipeOptions } from "./streaming/node-response.js";
export { pipeToNodeResponse } from "./streaming/node-response.js";
export type { StreamHooks, StreamingResponseInit } from "./streaming/streaming-response.js";
export { StreamingResponse } from "./streaming/streaming-response.js";
export { getResponseSynthesizer } from "./synthesizers/get-response-synthesizer.js";
export { Synthesizer } from "./synthesizers/synthesizer.js";
export type {
  ResponseMode,
  ResponseSynthesizer,
  ResponseSynthesizerOptions,
  SynthesizeParams,
  SynthesizerOutput,
} from "./synthesizers/types.js";
export { RESPONSE_MODES } from "./synthesizers/types.js";
