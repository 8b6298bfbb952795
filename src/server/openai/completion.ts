import { randomUUID } from "node:crypto";
import { ChatMemoryBuffer } from "../../memory/chat-memory-buffer.js";
import type { Response } from "../../schema/response.js";
import { streamParts } from "../../streaming/stream-parts.js";
import { StreamingResponse } from "../../streaming/streaming-response.js";
import type { ResolvedOptions } from "../options.js";
import { BASE_HEADERS, type CoreReply, jsonReply } from "../reply.js";
import { asStreaming, streamedBody } from "../streamed-reply.js";
import {
  ChunkEncoder,
  completionObject,
  DONE_LINE,
  errorChunk,
  STREAM_HEADERS,
  toFinishReason,
} from "./chunks.js";
import { OpenAIApiError } from "./errors.js";
import type { CompletionRequest } from "./request.js";
import { sourcesFooter } from "./sources-footer.js";

/** What {@link answerCompletion} needs besides the request. */
export interface CompletionContext {
  opts: ResolvedOptions;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  headers: Record<string, string>;
  /** Called once when the answer is over (sent, failed or cancelled), with a note for the log. */
  onEnd(note: string): void;
}

/**
 * Answers a checked chat completion: with the model's chat engine when there is history to condense (a fresh
 * memory seeded with it), else with its query engine. Resolves to the `chat.completion` JSON, or to the chunk
 * stream once the answer has started; rejects when it fails before (the caller answers an error status).
 */
export async function answerCompletion(
  request: CompletionRequest,
  ctx: CompletionContext,
): Promise<CoreReply> {
  const id = `chatcmpl-${randomUUID().replaceAll("-", "")}`;
  const created = Math.floor(Date.now() / 1000);
  const result = await start(request, ctx);
  if (!request.stream) {
    const response = result instanceof StreamingResponse ? await result.getResponse() : result;
    ctx.onEnd("json");
    const footer = request.sourcesFooter ? sourcesFooter(response.sourceNodes) : "";
    return jsonReply(
      200,
      completionObject({
        id,
        model: request.model.id,
        created,
        text: response.response + footer,
        reasoning: response.reasoning,
        finishReason: toFinishReason(result instanceof StreamingResponse ? result.finishReason : undefined),
        usage: response.usage,
        sources: response.sourceNodes,
        ...(request.citations ? { citations: response.citations } : {}),
      }),
      ctx.headers,
    );
  }
  const encoder = new ChunkEncoder(id, request.model.id, created, request.includeUsage);
  return {
    status: 200,
    headers: { ...BASE_HEADERS, ...STREAM_HEADERS, ...ctx.headers },
    stream: streamedBody(
      asStreaming(result),
      (streaming) => completionChunks(streaming, encoder, request),
      ctx.onEnd,
    ),
  };
}

/** Starts the answer with the model's engines; a chat engine only when there is history to condense. */
function start(request: CompletionRequest, ctx: CompletionContext): Promise<StreamingResponse | Response> {
  const { opts } = ctx;
  const { model, citations, stream: streaming } = request;
  const topK = model.topK ?? opts.defaultTopK;
  const mode = model.mode ?? opts.defaultMode;
  const createChatEngine = model.createChatEngine ?? opts.createChatEngine;
  if (request.history.length > 0 && createChatEngine) {
    // condense_question is the mode that cites: it answers through a (citing) query engine.
    const chatMode = citations ? "condense_question" : model.chatMode;
    const runner = createChatEngine({ topK, mode, chatMode, streaming, citations });
    const memory = new ChatMemoryBuffer({ messages: request.history });
    return runner.chat(request.question, { signal: ctx.signal, memory });
  }
  const runner = (model.createEngine ?? opts.createEngine)({ topK, mode, streaming, citations });
  return runner.query(request.question, { signal: ctx.signal });
}

/**
 * The chunks of a streamed answer: the role chunk with the sources, one `reasoning_content` or `content` delta per
 * model chunk (citations on the delta that completes them), the `finish_reason` chunk, the usage chunk with
 * `include_usage`, then `[DONE]`. An error mid-stream is an error chunk, then `[DONE]`.
 */
async function* completionChunks(
  response: StreamingResponse,
  encoder: ChunkEncoder,
  request: CompletionRequest,
): AsyncGenerator<string> {
  // Citations attached to a content delta so far, and citation parts seen: a citation part not attached yet
  // (from an engine that cites unasked) gets a chunk of its own.
  let attached = 0;
  let seen = 0;
  for await (const part of streamParts(response)) {
    switch (part.type) {
      case "sources":
        yield encoder.first(part.sourceNodes);
        break;
      case "reasoning-delta":
        yield encoder.reasoning(part.text);
        break;
      case "text-delta": {
        // A citing answer's citations are parsed as each delta is delivered: those this one completes are there.
        const all = request.citations ? response.citations : undefined;
        if (all !== undefined && all.length > attached) {
          const fresh = all.slice(attached);
          attached = all.length;
          yield encoder.content(part.text, fresh);
        } else yield encoder.content(part.text);
        break;
      }
      case "citation":
        if (++seen > attached) {
          attached = seen;
          yield encoder.citations([part]);
        }
        break;
      case "finish": {
        const footer = request.sourcesFooter ? sourcesFooter(response.sourceNodes) : "";
        if (footer !== "") yield encoder.content(footer);
        yield encoder.finish(toFinishReason(part.finishReason));
        if (request.includeUsage) yield encoder.usage(part.usage);
        yield DONE_LINE;
        break;
      }
      case "error":
        yield errorChunk(new OpenAIApiError(500, "server_error", part.code, part.message));
        yield DONE_LINE;
        break;
      case "cancelled":
        return;
    }
  }
}
