import { SentenceSplitter } from "../ingestion/splitters/sentence-splitter.js";
import { type NodeWithScore, TextNode, type TextNodeInit } from "../schema/node.js";
import type { Tokenizer } from "../utils/tokenizer.js";

/**
 * One numbered source of a citing answer: a piece of a retrieved node (its whole text when it is short enough),
 * cited as `[number]`. It keeps the node's metadata (file name, page…), its document (`refDocId`) and the node it
 * was cut from (`originalNodeId`); `startCharIdx`/`endCharIdx` locate it in the document when the node's were known.
 *
 * @example
 * ```ts
 * const source = res.sourceNodes[0]!.node as CitationSource;
 * source.number;          // 1: what [1] cites
 * source.originalNodeId;  // the retrieved node it was cut from
 * ```
 */
export class CitationSource extends TextNode {
  /** 1-based: the source `[number]` cites. */
  readonly number: number;
  /** The id of the retrieved node this source was cut from. */
  readonly originalNodeId: string;

  constructor(init: TextNodeInit & { number: number; originalNodeId: string }) {
    super(init);
    this.number = init.number;
    this.originalNodeId = init.originalNodeId;
  }
}

/** Options of {@link numberSources}. */
export interface NumberSourcesOptions {
  /** Tokens per numbered source (default 512, as in LlamaIndex). */
  citationChunkSize?: number;
  /** Tokens shared by consecutive sources cut from one node (default 20). */
  citationChunkOverlap?: number;
  /** Tokenizer the sizes are counted with (default: `Settings.tokenizer`, read when the call is made). */
  tokenizer?: Tokenizer;
}

/**
 * Cuts retrieved nodes into numbered sources, as LlamaIndex's `CitationQueryEngine` does: each node's text is split
 * into chunks of at most `citationChunkSize` tokens, and the chunks, in retrieval order, are sources 1, 2, …
 * Each keeps its node's score.
 *
 * @example
 * ```ts
 * const sources = numberSources(await retriever.retrieve(query), { citationChunkSize: 256 });
 * sources[0].node.number; // 1
 * ```
 */
export function numberSources(
  nodes: NodeWithScore[],
  options: NumberSourcesOptions = {},
): NodeWithScore<CitationSource>[] {
  const splitter = new SentenceSplitter({
    chunkSize: options.citationChunkSize ?? 512,
    chunkOverlap: options.citationChunkOverlap ?? 20,
    includeMetadata: false,
    tokenizer: options.tokenizer,
  });
  const out: NodeWithScore<CitationSource>[] = [];
  for (const { node, score } of nodes) {
    const text = node.text;
    const chunks = text.trim() === "" ? [] : splitter.splitText(text);
    let from = 0;
    chunks.forEach((chunk, k) => {
      const at = text.indexOf(chunk, from);
      const local = at >= 0 ? at : undefined;
      if (local !== undefined) from = local + 1;
      const source = new CitationSource({
        id: chunks.length === 1 ? `${node.id}#source` : `${node.id}#source-${k + 1}`,
        text: chunk,
        metadata: node.metadata,
        excludedEmbedMetadataKeys: node.excludedEmbedMetadataKeys,
        excludedLlmMetadataKeys: node.excludedLlmMetadataKeys,
        refDocId: node.refDocId,
        number: out.length + 1,
        originalNodeId: node.id,
        ...(node.startCharIdx !== undefined && local !== undefined
          ? { startCharIdx: node.startCharIdx + local, endCharIdx: node.startCharIdx + local + chunk.length }
          : {}),
      });
      out.push({ node: source, ...(score === undefined ? {} : { score }) });
    });
  }
  return out;
}
