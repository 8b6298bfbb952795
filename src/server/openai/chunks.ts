import type { Citation } from "../../citations/citation-parser.js";
import type { TokenUsage } from "../../llms/types.js";
import type { NodeWithScore } from "../../schema/node.js";
import { serializeSource } from "../../streaming/stream-parts.js";
import { errorBody, type OpenAIApiError } from "./errors.js";

/** OpenAI's `usage` object. */
export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  completion_tokens_details: { reasoning_tokens: number };
}

/** A finish reason as OpenAI names it (`stop`, `length`, `content_filter`); anything else is `stop`. */
export type OpenAIFinishReason = "stop" | "length" | "content_filter";

/** The last line of every stream. */
export const DONE_LINE = "data: [DONE]\n\n";

/** Headers of a chat completions stream. */
export const STREAM_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
};

/** streamdex's usage in OpenAI's names, or `null` when the provider gave none. */
export function toOpenAIUsage(usage: TokenUsage | undefined): OpenAIUsage | null {
  if (!usage) return null;
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

/** A provider's finish reason in OpenAI's names. */
export function toFinishReason(reason: string | undefined): OpenAIFinishReason {
  if (reason === "length" || reason === "max_tokens") return "length";
  if (reason === "content_filter" || reason === "content-filter") return "content_filter";
  return "stop";
}

/** The sources as the `sources` array carries them: id, score, text, metadata (and a numbered source's number). */
export function sourcesJSON(sources: NodeWithScore[]) {
  return sources.map(serializeSource);
}

/** Citations as the `citations` array carries them. */
export function citationsJSON(citations: readonly Citation[]) {
  return citations.map(({ marker, nodeId, start, end }) => ({ marker, nodeId, start, end }));
}

/**
 * Writes the `data:` lines of one streamed completion in OpenAI's `chat.completion.chunk` format. The parts of a
 * chunk that never change are built once, so a content delta costs one `JSON.stringify` of its text.
 */
export class ChunkEncoder {
  /** `data: {"id":…,"choices":` */
  private readonly head: string;
  /** `,"usage":null` with `include_usage` (OpenAI's chunks then carry it), else nothing. */
  private readonly tail: string;
  private readonly contentHead: string;
  private readonly contentTail: string;

  constructor(id: string, model: string, created: number, includeUsage: boolean) {
    this.head =
      `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},` +
      `"model":${JSON.stringify(model)},"system_fingerprint":null,"choices":`;
    this.tail = includeUsage ? `,"usage":null` : "";
    this.contentHead = `${this.head}[{"index":0,"delta":{"content":`;
    this.contentTail = `},"logprobs":null,"finish_reason":null}]${this.tail}}\n\n`;
  }

  /** The first chunk: the assistant's role, an empty content, and the top-level `sources`. */
  first(sources: NodeWithScore[]): string {
    return this.chunk(
      `{"role":"assistant","content":""}`,
      null,
      `,"sources":${JSON.stringify(sourcesJSON(sources))}`,
    );
  }

  /** A content delta; with `citations`, those the delta completes, in a top-level `citations` array. */
  content(text: string, citations?: readonly Citation[]): string {
    if (citations === undefined || citations.length === 0) {
      return this.contentHead + JSON.stringify(text) + this.contentTail;
    }
    return this.chunk(`{"content":${JSON.stringify(text)}}`, null, this.citationsField(citations));
  }

  /** A reasoning delta (`delta.reasoning_content`, as DeepSeek and vLLM send it). */
  reasoning(text: string): string {
    return this.chunk(`{"reasoning_content":${JSON.stringify(text)}}`, null);
  }

  /** Citations that came apart from a content delta, on an empty delta. */
  citations(citations: readonly Citation[]): string {
    return this.chunk("{}", null, this.citationsField(citations));
  }

  /** The chunk with the `finish_reason` and an empty delta. */
  finish(reason: OpenAIFinishReason): string {
    return this.chunk("{}", reason);
  }

  /** The usage chunk of `include_usage`: no choices, the whole request's usage. */
  usage(usage: TokenUsage | undefined): string {
    return `${this.head}[],"usage":${JSON.stringify(toOpenAIUsage(usage))}}\n\n`;
  }

  private chunk(delta: string, finishReason: OpenAIFinishReason | null, extra = ""): string {
    const reason = finishReason === null ? "null" : `"${finishReason}"`;
    return `${this.head}[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${reason}}]${this.tail}${extra}}\n\n`;
  }

  private citationsField(citations: readonly Citation[]): string {
    return `,"citations":${JSON.stringify(citationsJSON(citations))}`;
  }
}

/**
 * An error after the stream has started, as OpenAI and the compatible servers (vLLM, LiteLLM) send it: a `data:`
 * line holding only the OpenAI error body; the `openai` SDK throws it as an `APIError`.
 */
export function errorChunk(error: OpenAIApiError): string {
  return `data: ${JSON.stringify(errorBody(error))}\n\n`;
}

/** What a non-streamed completion is made of. */
export interface CompletionFields {
  id: string;
  model: string;
  created: number;
  text: string;
  reasoning: string;
  finishReason: OpenAIFinishReason;
  usage: TokenUsage | undefined;
  sources: NodeWithScore[];
  /** Present for a citing request. */
  citations?: readonly Citation[];
}

/** A non-streamed answer: OpenAI's `chat.completion` object, with top-level `sources` (and `citations`). */
export function completionObject(c: CompletionFields) {
  return {
    id: c.id,
    object: "chat.completion",
    created: c.created,
    model: c.model,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: c.text,
          refusal: null,
          ...(c.reasoning !== "" ? { reasoning_content: c.reasoning } : {}),
        },
        logprobs: null,
        finish_reason: c.finishReason,
      },
    ],
    usage: toOpenAIUsage(c.usage),
    sources: sourcesJSON(c.sources),
    ...(c.citations ? { citations: citationsJSON(c.citations) } : {}),
  };
}
