import type { CitationParserOptions } from "../citations/citation-parser.js";
import { type NumberSourcesOptions, numberSources } from "../citations/numbered-sources.js";
import type { VectorStoreIndex } from "../indices/vector-store-index.js";
import type { NodePostprocessor } from "../postprocessors/types.js";
import {
  CITATION_QA_PROMPT,
  CITATION_REFINE_PROMPT,
  CITATION_SUMMARY_PROMPT,
} from "../prompts/citation-prompts.js";
import type { NodeWithScore } from "../schema/node.js";
import { Settings } from "../settings/settings.js";
import type { MetadataFilters } from "../storage/vector-store/types.js";
import { getResponseSynthesizer } from "../synthesizers/get-response-synthesizer.js";
import type { ResponseSynthesizer, ResponseSynthesizerOptions } from "../synthesizers/types.js";
import { defaultTokenizer, type Tokenizer } from "../utils/tokenizer.js";
import { optionalInteger } from "../utils/validate.js";
import {
  type QueryOptions,
  RetrieverQueryEngine,
  type RetrieverQueryEngineOptions,
} from "./retriever-query-engine.js";

/** Options of a {@link CitationQueryEngine}: how sources are cut, and how markers are read. */
export interface CitationOptions extends NumberSourcesOptions {
  /** How `[n]` markers are recognised (default: `citeAfterWord: true`, so `France[1]` counts). */
  citationParser?: CitationParserOptions;
}

/** Options of {@link CitationQueryEngine.fromIndex}: retrieval, citation and every synthesizer option. */
export interface CitationQueryEngineOptions<S extends boolean>
  extends ResponseSynthesizerOptions<S>,
    CitationOptions {
  /** Nodes retrieved per query (default 2), before they are cut into sources. */
  similarityTopK?: number;
  nodePostprocessors?: NodePostprocessor[];
  /** Only answer from these source documents. */
  docIds?: string[];
  /** Only answer from nodes whose metadata matches. */
  filters?: MetadataFilters;
  /** Use this synthesizer instead of building one (give it citation prompts of your own). */
  responseSynthesizer?: ResponseSynthesizer<S>;
}

/**
 * A query engine whose answer cites its sources, as LlamaIndex's `CitationQueryEngine`: the retrieved nodes are
 * cut into numbered sources (`citationChunkSize` tokens, default 512, overlap 20), the prompts ask for `[n]` after
 * each claim, and the markers are mapped back to the sources while the answer streams: a `citation` part right
 * after the text-delta that completes each marker, and `citations` on the response. `sourceNodes` are the
 * numbered sources in number order (source 1 is `sourceNodes[0]`), each a {@link CitationSource} pointing back to
 * its node and document. Every response mode works, streamed or not; multi-call modes cite in the final text.
 *
 * @example
 * ```ts
 * const engine = CitationQueryEngine.fromIndex(index, { streaming: true, similarityTopK: 3 });
 * const res = await engine.query("Who founded the company?");
 * for await (const part of res.parts) if (part.type === "citation") console.log(part.marker, part.nodeId);
 * res.citations; // every citation, in order
 * ```
 */
export class CitationQueryEngine<S extends boolean = false> extends RetrieverQueryEngine<S> {
  readonly citationChunkSize: number;
  readonly citationChunkOverlap: number;
  protected override readonly citing: CitationParserOptions;
  /** `Settings.tokenizer` as it was when the engine was built (undefined: the default cl100k one). */
  private readonly tokenizer: Tokenizer | undefined;

  constructor(options: RetrieverQueryEngineOptions<S> & CitationOptions) {
    super({
      ...options,
      responseSynthesizer:
        options.responseSynthesizer ?? (getCitationSynthesizer({}) as ResponseSynthesizer<S>),
    });
    this.citationChunkSize = optionalInteger("citationChunkSize", options.citationChunkSize, 1, 512);
    this.citationChunkOverlap = optionalInteger("citationChunkOverlap", options.citationChunkOverlap, 0, 20);
    this.citing = { citeAfterWord: true, ...options.citationParser };
    this.tokenizer = Settings.tokenizerOverride;
  }

  /** An engine over `index`: its retriever (`similarityTopK`, `filters`, `docIds`) and a citing synthesizer. */
  static fromIndex<S extends boolean = false>(
    index: VectorStoreIndex,
    options: CitationQueryEngineOptions<S> = {},
  ): CitationQueryEngine<S> {
    const {
      similarityTopK,
      nodePostprocessors,
      docIds,
      filters,
      responseSynthesizer,
      citationChunkSize,
      citationChunkOverlap,
      citationParser,
      ...synthesis
    } = options;
    return new CitationQueryEngine<S>({
      retriever: index.asRetriever({ similarityTopK, docIds, filters }),
      responseSynthesizer: responseSynthesizer ?? getCitationSynthesizer(synthesis),
      nodePostprocessors,
      citationChunkSize,
      citationChunkOverlap,
      citationParser,
    });
  }

  /** Retrieves and post-processes the nodes, then cuts them into numbered sources. */
  override async retrieve(
    query: string,
    options: Parameters<RetrieverQueryEngine<S>["retrieve"]>[1] = {},
  ): Promise<NodeWithScore[]> {
    const nodes = await super.retrieve(query, options as QueryOptions);
    return numberSources(nodes, {
      citationChunkSize: this.citationChunkSize,
      citationChunkOverlap: this.citationChunkOverlap,
      tokenizer: this.tokenizer ?? defaultTokenizer(),
    });
  }
}

/**
 * A response synthesizer with the citation prompts (`CITATION_QA_PROMPT`, `CITATION_REFINE_PROMPT`,
 * `CITATION_SUMMARY_PROMPT`) unless others are given, for a {@link CitationQueryEngine} built by hand.
 *
 * @example
 * ```ts
 * new CitationQueryEngine({ retriever, responseSynthesizer: getCitationSynthesizer({ streaming: true, llm }) });
 * ```
 */
export function getCitationSynthesizer<S extends boolean = false>(
  options: ResponseSynthesizerOptions<S> = {},
): ResponseSynthesizer<S> {
  return getResponseSynthesizer<S>({
    ...options,
    textQATemplate: options.textQATemplate ?? CITATION_QA_PROMPT,
    refineTemplate: options.refineTemplate ?? CITATION_REFINE_PROMPT,
    summaryTemplate: options.summaryTemplate ?? CITATION_SUMMARY_PROMPT,
  });
}
