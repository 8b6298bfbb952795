import { InvalidArgumentError } from "../../errors/index.js";
import { MetadataMode, TextNode } from "../../schema/node.js";
import { Settings } from "../../settings/settings.js";
import { defaultTokenizer, type Tokenizer } from "../../utils/tokenizer.js";
import { describe, optionalBoolean, optionalInteger } from "../../utils/validate.js";
import type { NodeParser } from "../types.js";
import { mergeSplits, type SplitList } from "./merge-splits.js";
import { cutsByMeasure, cutsByRegex, cutsBySentence, cutsBySeparator } from "./text-splits.js";
import { type RangeCounter, type TokenCounter, tokenCounterFor } from "./token-counter.js";

/** LlamaIndex's default clause regex, used to split sentences that are too long on their own. */
const DEFAULT_SECONDARY_REGEX = /[^,.;。？！]+[,.;。？！]?/g;

/** Options of {@link SentenceSplitter}. Sizes are in tokens of `tokenizer`. */
export interface SentenceSplitterOptions {
  /** Maximum tokens per chunk (default: `Settings.chunkSize`, 1024). */
  chunkSize?: number;
  /** Tokens repeated from the end of a chunk at the start of the next (default: `Settings.chunkOverlap`, 200). */
  chunkOverlap?: number;
  /** Tokenizer that sizes are measured with (default: `Settings.tokenizer` as it is when the splitter is built; cl100k_base, loaded on first use). */
  tokenizer?: Tokenizer;
  /** Separator between paragraphs, kept at the start of the next one (default `"\n\n\n"`, as in LlamaIndex). */
  paragraphSeparator?: string;
  /** Separator between words, used when a clause is still too long (default `" "`). */
  separator?: string;
  /** Splits a sentence that is too long into clauses (default: LlamaIndex's `[^,.;。？！]+[,.;。？！]?`). */
  secondaryChunkingRegex?: RegExp | string;
  /**
   * Whether nodes keep their document's metadata in mind: chunks are made smaller by the token length of the
   * metadata the embedding model or the LLM will see alongside them (default `true`).
   */
  includeMetadata?: boolean;
}

/**
 * Splits text into chunks of at most `chunkSize` tokens, preferring to keep sentences whole, with `chunkOverlap`
 * tokens of the end of each chunk repeated at the start of the next: LlamaIndex's `SentenceSplitter`.
 *
 * Text is split by paragraphs, then sentences, then clauses, then words, then characters, until every piece fits;
 * the pieces are then merged back into chunks. Every chunk is measured on its final text, so no chunk exceeds
 * `chunkSize` tokens (minus the metadata's tokens for nodes), unless a single character does.
 *
 * @example
 * ```ts
 * const splitter = new SentenceSplitter({ chunkSize: 256, chunkOverlap: 32 });
 * const nodes = splitter.getNodesFromDocuments([new Document({ text: essay, id: "essay.txt" })]);
 * nodes[0].refDocId; // "essay.txt"
 * essay.slice(nodes[0].startCharIdx, nodes[0].endCharIdx) === nodes[0].text; // true
 * ```
 */
export class SentenceSplitter implements NodeParser {
  /** Maximum tokens per chunk. */
  readonly chunkSize: number;
  /** Tokens of overlap between consecutive chunks. */
  readonly chunkOverlap: number;
  readonly paragraphSeparator: string;
  readonly separator: string;
  readonly secondaryChunkingRegex: RegExp;
  readonly includeMetadata: boolean;
  private readonly tokenizerOption: Tokenizer | undefined;
  private counterCache: TokenCounter | undefined;

  constructor(options: SentenceSplitterOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new InvalidArgumentError("options", `expected an object, got ${describe(options)}.`);
    }
    this.chunkSize = optionalInteger("chunkSize", options.chunkSize, 1, Settings.chunkSize);
    this.chunkOverlap = optionalInteger("chunkOverlap", options.chunkOverlap, 0, Settings.chunkOverlap);
    if (this.chunkOverlap >= this.chunkSize) {
      const source = options.chunkOverlap === undefined ? " (from Settings.chunkOverlap)" : "";
      throw new InvalidArgumentError(
        "chunkOverlap",
        `must be smaller than chunkSize (${this.chunkSize}), got ${this.chunkOverlap}${source}. ` +
          "Lower chunkOverlap or raise chunkSize.",
      );
    }
    this.paragraphSeparator = stringOption("paragraphSeparator", options.paragraphSeparator, "\n\n\n");
    this.separator = stringOption("separator", options.separator, " ");
    this.secondaryChunkingRegex = regexOption(options.secondaryChunkingRegex);
    this.includeMetadata = optionalBoolean("includeMetadata", options.includeMetadata, true);
    const tokenizer = options.tokenizer;
    if (tokenizer !== undefined && (tokenizer === null || typeof tokenizer.countTokens !== "function")) {
      throw new InvalidArgumentError(
        "tokenizer",
        `expected a Tokenizer with countTokens(), got ${describe(tokenizer)}.`,
      );
    }
    // Bound now, as every other default (Settings are read when an object is built); undefined is the fixed default.
    this.tokenizerOption = tokenizer ?? Settings.tokenizerOverride;
  }

  private get counter(): TokenCounter {
    this.counterCache ??= tokenCounterFor(this.tokenizerOption ?? defaultTokenizer());
    return this.counterCache;
  }

  /**
   * Splits `text` into chunks of at most `chunkSize` tokens (whitespace-trimmed, none empty).
   *
   * @example
   * ```ts
   * new SentenceSplitter({ chunkSize: 64, chunkOverlap: 8 }).splitText(longText); // ["First sentences…", …]
   * ```
   */
  splitText(text: string): string[] {
    if (typeof text !== "string") {
      throw new InvalidArgumentError("text", `expected a string, got ${describe(text)}.`);
    }
    const ranges = this.chunkRanges(text, this.chunkSize);
    const chunks: string[] = [];
    for (let k = 0; k < ranges.length; k += 2) chunks.push(text.slice(ranges[k], ranges[k + 1]));
    return chunks;
  }

  /**
   * Splits each node's text into new {@link TextNode}s that copy its metadata and excluded keys, link back via
   * `refDocId` (the document's id, or the node's own `refDocId` when it is already a chunk) and record their
   * offsets in the source text. Empty or whitespace-only documents produce no nodes.
   *
   * @throws InvalidArgumentError when a document's metadata alone is `chunkSize` tokens or more.
   */
  getNodesFromDocuments(documents: TextNode[]): TextNode[] {
    if (!Array.isArray(documents)) {
      throw new InvalidArgumentError(
        "documents",
        `expected an array of Documents, got ${describe(documents)}.`,
      );
    }
    const nodes: TextNode[] = [];
    for (const doc of documents) {
      if (!(doc instanceof TextNode)) {
        throw new InvalidArgumentError("documents", `expected Documents or TextNodes, got ${describe(doc)}.`);
      }
      if (!/\S/.test(doc.text)) continue;
      this.nodesFromRanges(doc, this.chunkRanges(doc.text, this.chunkSizeFor(doc)), nodes);
    }
    return nodes;
  }

  /** Appends to `out` the nodes of `doc` cut at `ranges` (flattened `[start, end, …]` offsets into its text). */
  private nodesFromRanges(doc: TextNode, ranges: ArrayLike<number>, out: TextNode[]): void {
    const text = doc.text;
    const isChunk = doc.refDocId !== undefined;
    const base = isChunk ? doc.startCharIdx : 0;
    for (let k = 0; k < ranges.length; k += 2) {
      const start = ranges[k]!;
      const end = ranges[k + 1]!;
      out.push(
        new TextNode({
          text: text.slice(start, end),
          metadata: { ...doc.metadata },
          excludedEmbedMetadataKeys: [...doc.excludedEmbedMetadataKeys],
          excludedLlmMetadataKeys: [...doc.excludedLlmMetadataKeys],
          refDocId: isChunk ? doc.refDocId : doc.id,
          startCharIdx: base === undefined ? undefined : base + start,
          endCharIdx: base === undefined ? undefined : base + end,
        }),
      );
    }
  }

  /** `chunkSize` minus the tokens of the longer metadata string (embed or LLM view) of `node`. */
  private chunkSizeFor(node: TextNode): number {
    if (!this.includeMetadata) return this.chunkSize;
    const metadataTokens = Math.max(
      this.counter.countText(node.getMetadataStr(MetadataMode.EMBED)),
      this.counter.countText(node.getMetadataStr(MetadataMode.LLM)),
    );
    const size = this.chunkSize - metadataTokens;
    if (size <= 0) throw metadataTooLong(node.id, metadataTokens, this.chunkSize);
    return size;
  }

  /** Offsets (flattened `[start, end, …]`) of the chunks of `text` of at most `limit` tokens. */
  private chunkRanges(text: string, limit: number): number[] {
    if (!/\S/.test(text)) return [];
    const counter = this.counter.forText(text);
    const splits: SplitList = { starts: [], ends: [], tokens: [] };
    this.collectSplits(text, counter, 0, text.length, limit, splits);
    return mergeSplits(splits, { text, counter, limit, overlap: this.chunkOverlap });
  }

  /**
   * Appends `[start, end)` to `out` if it fits in `limit` tokens, else splits it by the first of paragraphs,
   * sentences, clauses, words and characters that cuts it, and recurses into each piece.
   */
  private collectSplits(
    text: string,
    counter: RangeCounter,
    start: number,
    end: number,
    limit: number,
    out: SplitList,
  ): void {
    const tokens = counter.count(start, end);
    if (tokens <= limit) {
      out.starts.push(start);
      out.ends.push(end);
      out.tokens.push(tokens);
      return;
    }
    let cuts = cutsBySeparator(text, start, end, this.paragraphSeparator);
    if (cuts.length === 0) cuts = cutsBySentence(text, start, end);
    if (cuts.length === 0) cuts = cutsByRegex(text, start, end, this.secondaryChunkingRegex);
    if (cuts.length === 0) cuts = cutsBySeparator(text, start, end, this.separator);
    if (cuts.length === 0) cuts = cutsByMeasure(text, start, end, limit, (s, e) => counter.count(s, e));
    if (cuts.length === 0) {
      // A single character over the limit: nothing smaller exists.
      out.starts.push(start);
      out.ends.push(end);
      out.tokens.push(tokens);
      return;
    }
    let from = start;
    for (const cut of cuts) {
      this.collectSplits(text, counter, from, cut, limit, out);
      from = cut;
    }
    this.collectSplits(text, counter, from, end, limit, out);
  }
}

/** The error for a node whose metadata alone fills a chunk. @internal */
export function metadataTooLong(
  nodeId: string,
  metadataTokens: number,
  chunkSize: number,
): InvalidArgumentError {
  return new InvalidArgumentError(
    "chunkSize",
    `the metadata of node ${nodeId} is ${metadataTokens} tokens, which leaves no room for text in chunks of ` +
      `${chunkSize} tokens. Raise chunkSize, exclude metadata keys (excludedEmbedMetadataKeys / ` +
      "excludedLlmMetadataKeys) or pass includeMetadata: false.",
  );
}

function stringOption(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || value === "") {
    throw new InvalidArgumentError(name, `expected a non-empty string, got ${describe(value)}.`);
  }
  return value;
}

function regexOption(value: unknown): RegExp {
  if (value === undefined) return new RegExp(DEFAULT_SECONDARY_REGEX.source, "gu");
  if (value instanceof RegExp) {
    return new RegExp(value.source, value.flags.includes("g") ? value.flags : `${value.flags}g`);
  }
  if (typeof value === "string" && value !== "") {
    try {
      return new RegExp(value, "gu");
    } catch (error) {
      throw new InvalidArgumentError(
        "secondaryChunkingRegex",
        `not a valid regular expression: ${String(error)}`,
      );
    }
  }
  throw new InvalidArgumentError(
    "secondaryChunkingRegex",
    `expected a RegExp or a string, got ${describe(value)}.`,
  );
}
