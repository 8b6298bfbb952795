import { randomUUID } from "node:crypto";
import { InvalidArgumentError } from "../errors/index.js";
import { describe } from "../utils/validate.js";

/** Arbitrary, JSON-serialisable metadata attached to a node (file name, page, author...). */
export type Metadata = Record<string, unknown>;

/** Which metadata a node's content includes: none, what the embedding sees, what the LLM sees, or all of it. */
export const MetadataMode = {
  NONE: "none",
  EMBED: "embed",
  LLM: "llm",
  ALL: "all",
} as const;
export type MetadataMode = (typeof MetadataMode)[keyof typeof MetadataMode];

/** Options shared by {@link TextNode} and {@link Document}. */
export interface TextNodeInit {
  /** The text. Required. */
  text: string;
  /** Metadata; shown to the embedding model and the LLM unless excluded below. */
  metadata?: Metadata;
  /** A stable id; a random UUID when omitted. */
  id?: string;
  /** Metadata keys never embedded (e.g. file paths that would skew similarity). */
  excludedEmbedMetadataKeys?: string[];
  /** Metadata keys never put in an LLM prompt. */
  excludedLlmMetadataKeys?: string[];
  /** Id of the {@link Document} this node was split from. */
  refDocId?: string;
  /** Start offset of this node's text in its source document, when known. */
  startCharIdx?: number;
  /** End offset (exclusive) of this node's text in its source document, when known. */
  endCharIdx?: number;
  /** A precomputed embedding. */
  embedding?: Float32Array | number[];
}

/**
 * A chunk of text with metadata: the unit that is embedded, stored, retrieved and put in prompts.
 *
 * @example
 * ```ts
 * const node = new TextNode({ text: "Paris is the capital of France.", metadata: { source: "atlas.txt" } });
 * node.getContent(MetadataMode.LLM); // "source: atlas.txt\n\nParis is the capital of France."
 * ```
 */
export class TextNode {
  readonly id: string;
  text: string;
  metadata: Metadata;
  excludedEmbedMetadataKeys: string[];
  excludedLlmMetadataKeys: string[];
  refDocId: string | undefined;
  startCharIdx: number | undefined;
  endCharIdx: number | undefined;
  embedding: Float32Array | undefined;

  constructor(init: TextNodeInit) {
    if (init === null || typeof init !== "object") {
      throw new InvalidArgumentError("node", `expected { text, metadata?, id? }, got ${describe(init)}.`);
    }
    if (typeof init.text !== "string") {
      throw new InvalidArgumentError("text", `expected a string, got ${describe(init.text)}.`);
    }
    if (init.metadata !== undefined && (init.metadata === null || typeof init.metadata !== "object")) {
      throw new InvalidArgumentError("metadata", `expected an object, got ${describe(init.metadata)}.`);
    }
    if (init.id !== undefined && (typeof init.id !== "string" || init.id === "")) {
      throw new InvalidArgumentError("id", `expected a non-empty string, got ${describe(init.id)}.`);
    }
    this.id = init.id ?? randomUUID();
    this.text = init.text;
    this.metadata = init.metadata ?? {};
    this.excludedEmbedMetadataKeys = init.excludedEmbedMetadataKeys ?? [];
    this.excludedLlmMetadataKeys = init.excludedLlmMetadataKeys ?? [];
    this.refDocId = init.refDocId;
    this.startCharIdx = init.startCharIdx;
    this.endCharIdx = init.endCharIdx;
    this.embedding = init.embedding === undefined ? undefined : Float32Array.from(init.embedding);
  }

  /** Alias of {@link TextNode.refDocId}, LlamaIndex's name. */
  get sourceId(): string | undefined {
    return this.refDocId;
  }

  /** The metadata as `key: value` lines, without the keys `mode` excludes. */
  getMetadataStr(mode: MetadataMode = MetadataMode.ALL): string {
    if (mode === MetadataMode.NONE) return "";
    const excluded =
      mode === MetadataMode.EMBED
        ? this.excludedEmbedMetadataKeys
        : mode === MetadataMode.LLM
          ? this.excludedLlmMetadataKeys
          : [];
    const lines: string[] = [];
    for (const [key, value] of Object.entries(this.metadata)) {
      if (excluded.includes(key) || value === undefined) continue;
      lines.push(`${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
    }
    return lines.join("\n");
  }

  /** The text, preceded by the metadata `mode` lets through (none by default). */
  getContent(mode: MetadataMode = MetadataMode.NONE): string {
    const meta = this.getMetadataStr(mode);
    return meta === "" ? this.text : `${meta}\n\n${this.text}`;
  }

  /** A plain JSON object, as written by persistence. */
  toJSON(): TextNodeJSON {
    return {
      type: this instanceof Document ? "document" : "text",
      id: this.id,
      text: this.text,
      metadata: this.metadata,
      excludedEmbedMetadataKeys: this.excludedEmbedMetadataKeys,
      excludedLlmMetadataKeys: this.excludedLlmMetadataKeys,
      refDocId: this.refDocId,
      startCharIdx: this.startCharIdx,
      endCharIdx: this.endCharIdx,
    };
  }

  /** Rebuilds a node (or a {@link Document}) from {@link TextNode.toJSON}'s output. */
  static fromJSON(json: TextNodeJSON): TextNode {
    const { type, ...init } = json;
    return type === "document" ? new Document(init) : new TextNode(init);
  }
}

/** The JSON form of a node. */
export interface TextNodeJSON {
  type: "text" | "document";
  id: string;
  text: string;
  metadata: Metadata;
  excludedEmbedMetadataKeys: string[];
  excludedLlmMetadataKeys: string[];
  refDocId: string | undefined;
  startCharIdx: number | undefined;
  endCharIdx: number | undefined;
}

/**
 * A whole source document (a file, a page, a record) before it is split into {@link TextNode}s.
 *
 * @example
 * ```ts
 * const doc = new Document({ text: "…", metadata: { file_name: "essay.txt" }, id: "essay" });
 * ```
 */
export class Document extends TextNode {}

/** A retrieved node and its similarity score (higher is more similar). */
export interface NodeWithScore<T extends TextNode = TextNode> {
  node: T;
  score?: number;
}
