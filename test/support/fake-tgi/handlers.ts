import { type FaultConfig, TGI_ERRORS } from "./faults.js";
import { type Exchange, StreamWriter, sendJson, sendText, sleep, writeHead } from "./http-io.js";
import {
  type ChatMeta,
  chatChunk,
  chatCompletionBody,
  chatFinishReason,
  chatPromptTokens,
  DONE_PAYLOAD,
  estimateTokens,
  type GenerationPlan,
  generateBody,
  MALFORMED_PAYLOAD,
  planGeneration,
  SSE_KEEP_ALIVE,
  sseEvent,
  streamFinalEvent,
  streamTokenEvent,
  type TGIToken,
  usageOf,
} from "./wire-format.js";

/** A JSON object request body. */
export type JsonBody = Record<string, unknown>;

/** Default content tokens: `" tok"` x 16. */
export const DEFAULT_TOKENS: readonly string[] = Array.from({ length: 16 }, () => " tok");

/** TGI 3's default `max_new_tokens`: whatever the context has left after the prompt. */
function defaultMaxNew(ctx: HandlerContext, inputTokens: number): number {
  return Math.max(1, ctx.maxTotalTokens - inputTokens);
}

/** What the server gives the handlers. */
export interface HandlerContext {
  x: Exchange;
  cfg: FaultConfig;
  body: JsonBody;
  /** The served model (`/info`'s `model_id`), which TGI puts in every chat answer. */
  modelId: string;
  maxTotalTokens: number;
  /** Called while a stream is being written: +1 at start, -1 at the end. */
  trackStream(delta: 1 | -1): void;
}

/** How one streamed answer is shaped on the wire. */
interface StreamShape {
  token(index: number, token: TGIToken): unknown;
  /** The events of the last token (chat: the finish chunk, then the usage chunk if asked for). */
  final(index: number, token: TGIToken): unknown[];
  /** Written after the final events (chat: `[DONE]`). */
  trailer?: string;
  /** Events written before the first token, one per write, counted in `reasoningSent` (chat: the reasoning). */
  lead?: unknown[];
}

function isRecord(v: unknown): v is JsonBody {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function stopList(v: unknown): string[] {
  if (typeof v === "string") return [v];
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
}

/** axum's answer to a body that deserializes but lacks a field: 422, plain text. */
function missingField(x: Exchange, field: string): void {
  sendText(
    x,
    422,
    "text/plain; charset=utf-8",
    `Failed to deserialize the JSON body into the target type: missing field \`${field}\` at line 1 column 2`,
  );
}

/** TGI's validation of `inputs` tokens + `max_new_tokens`; the message when it fails. */
function lengthError(inputTokens: number, maxNew: number, maxTotal: number): string | undefined {
  if (inputTokens + maxNew <= maxTotal) return undefined;
  return `Input validation error: \`inputs\` tokens + \`max_new_tokens\` must be <= ${maxTotal}. Given: ${inputTokens} \`inputs\` tokens and ${maxNew} \`max_new_tokens\``;
}

/** Writes an SSE answer with every streaming fault knob applied. */
async function streamAnswer(
  ctx: HandlerContext,
  plan: GenerationPlan,
  shape: StreamShape,
  startError?: { message: string; type: string },
): Promise<void> {
  const { x, cfg } = ctx;
  const w = new StreamWriter(x);
  const sse = (data: unknown) => sseEvent(data, cfg.sseSpace);
  ctx.trackStream(1);
  try {
    writeHead(x, 200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      "x-compute-type": "gpu+optimized",
      "x-accel-buffering": "no",
    });
    x.res.flushHeaders();
    if (cfg.keepAlive && !(await w.write(SSE_KEEP_ALIVE))) return;
    await sleep(cfg.firstTokenDelayMs, x.signal);
    const failure =
      startError ??
      (cfg.streamError
        ? {
            type: cfg.streamError.type ?? "generation",
            message: cfg.errorMessage ?? TGI_ERRORS[cfg.streamError.type ?? "generation"] ?? "error",
          }
        : undefined);
    const failAt = startError ? 0 : (cfg.streamError?.afterTokens ?? 0);
    const total = plan.tokens.length;
    let lead = 0;
    for (const event of startError ? [] : (shape.lead ?? [])) {
      if (lead++ > 0) await sleep(cfg.tokenDelayMs, x.signal);
      if (!w.open) return;
      const written = w.write(sse(event));
      x.record.reasoningSent++;
      if (!(await written)) return;
    }
    for (let i = 0; i < total; i++) {
      if (!w.open) return;
      if (cfg.malformedAfterTokens === i && !(await w.write(sse(MALFORMED_PAYLOAD)))) return;
      if (failure && failAt === i) {
        if (await w.write(sse({ error: failure.message, error_type: failure.type }))) w.end();
        return;
      }
      if (cfg.dropAfterTokens === i) {
        await w.drop();
        return;
      }
      const last = i === total - 1;
      if (last && cfg.endWithoutFinal) {
        w.end();
        return;
      }
      if (i > 0 || lead > 0) await sleep(cfg.tokenDelayMs, x.signal);
      if (cfg.keepAlive && i > 0 && !(await w.write(SSE_KEEP_ALIVE))) return;
      const token = plan.tokens[i]!;
      const events = last ? shape.final(i + 1, token) : [shape.token(i + 1, token)];
      const written = w.write(events.map(sse).join(""));
      x.record.tokensSent++;
      if (!(await written)) return;
    }
    if (shape.trailer !== undefined && !(await w.write(sse(shape.trailer)))) return;
    w.end();
  } finally {
    ctx.trackStream(-1);
  }
}

/** The generation parameters TGI reads from `/generate`, `/generate_stream` and `/`. */
function generateParams(ctx: HandlerContext): {
  inputs: string;
  maxNew: number;
  stop: string[];
  details: boolean;
  fullText: boolean;
  prefillDetails: boolean;
} {
  const params = isRecord(ctx.body.parameters) ? ctx.body.parameters : {};
  const inputs = ctx.body.inputs as string;
  const maxNew =
    typeof params.max_new_tokens === "number"
      ? params.max_new_tokens
      : defaultMaxNew(ctx, estimateTokens(inputs));
  return {
    inputs,
    maxNew,
    stop: stopList(params.stop),
    details: params.details === true,
    fullText: params.return_full_text === true,
    prefillDetails: params.decoder_input_details === true,
  };
}

function plan(ctx: HandlerContext, maxNew: number, stop: string[]): GenerationPlan {
  return planGeneration(ctx.cfg.tokens ?? [...DEFAULT_TOKENS], {
    maxNewTokens: maxNew,
    stop,
    eosToken: ctx.cfg.eosToken ?? "</s>",
  });
}

/** POST /generate (and POST / without `stream`, which wraps the answer in an array). */
export async function handleGenerate(ctx: HandlerContext, asArray = false): Promise<void> {
  const { x, cfg } = ctx;
  if (typeof ctx.body.inputs !== "string") return missingField(x, "inputs");
  const p = generateParams(ctx);
  const inputTokens = estimateTokens(p.inputs);
  const tooLong = lengthError(inputTokens, p.maxNew, ctx.maxTotalTokens);
  if (tooLong) return sendJson(x, 422, { error: tooLong, error_type: "validation" });
  const answer = plan(ctx, p.maxNew, p.stop);
  x.record.tokensSent = answer.tokens.length;
  const body = generateBody(answer, p.details || p.prefillDetails);
  if (p.fullText) body.generated_text = p.inputs + answer.generatedText;
  sendJson(
    x,
    200,
    asArray ? [body] : body,
    {
      "x-compute-type": "gpu+optimized",
      "x-prompt-tokens": String(inputTokens),
      "x-generated-tokens": String(answer.tokens.length),
    },
    cfg.truncatedJson,
  );
}

/** POST /generate_stream (and POST / with `stream: true`). */
export async function handleGenerateStream(ctx: HandlerContext): Promise<void> {
  if (typeof ctx.body.inputs !== "string") return missingField(ctx.x, "inputs");
  const p = generateParams(ctx);
  const inputTokens = estimateTokens(p.inputs);
  const answer = plan(ctx, p.maxNew, p.stop);
  // TGI validates inside the stream: these errors arrive as an event after a 200.
  const tooLong = lengthError(inputTokens, p.maxNew, ctx.maxTotalTokens);
  const startError = p.prefillDetails
    ? {
        type: "validation",
        message:
          "Input validation error: `decoder_input_details` == true is not supported when streaming tokens",
      }
    : tooLong
      ? { type: "validation", message: tooLong }
      : undefined;
  const fullText = p.fullText ? { ...answer, generatedText: p.inputs + answer.generatedText } : answer;
  await streamAnswer(
    ctx,
    answer,
    {
      token: (i, t) => streamTokenEvent(i, t),
      final: (i, t) => [streamFinalEvent(i, t, fullText, inputTokens, p.details)],
    },
    startError,
  );
}

/** POST /v1/chat/completions (TGI's Messages API). */
export async function handleChat(ctx: HandlerContext): Promise<void> {
  const { x, cfg, body } = ctx;
  if (!Array.isArray(body.messages)) return missingField(x, "messages");
  if (cfg.noChatTemplate) {
    return sendJson(x, 422, { error: TGI_ERRORS.template_error, error_type: "template_error" });
  }
  const prompt = chatPromptTokens(body.messages);
  const maxNew = typeof body.max_tokens === "number" ? body.max_tokens : defaultMaxNew(ctx, prompt);
  const answer = plan(ctx, maxNew, stopList(body.stop));
  const finish = chatFinishReason(answer.finishReason);
  const reasoning = cfg.reasoningTokens ?? [];
  const field = cfg.reasoningField ?? "reasoning_content";
  const usage = usageOf(prompt, answer.tokens.length + reasoning.length);
  const meta: ChatMeta = { model: ctx.modelId, created: Math.floor(Date.now() / 1000) };
  const tooLong = lengthError(prompt, maxNew, ctx.maxTotalTokens);
  if (body.stream !== true) {
    if (tooLong) return sendJson(x, 422, { error: tooLong, error_type: "validation" });
    x.record.tokensSent = answer.tokens.length;
    x.record.reasoningSent = reasoning.length;
    const r = cfg.reasoningTokens ? { field, text: reasoning.join("") } : undefined;
    sendJson(x, 200, chatCompletionBody(meta, answer.generatedText, finish, usage, r), {}, cfg.truncatedJson);
    return;
  }
  const opts = body.stream_options;
  const includeUsage = isRecord(opts) && opts.include_usage === true;
  const content = (t: TGIToken) => (t.special ? "" : t.text);
  await streamAnswer(
    ctx,
    answer,
    {
      token: (_i, t) => chatChunk(meta, { content: content(t), finishReason: null }),
      final: (_i, t) => [
        chatChunk(meta, { content: content(t), finishReason: finish }),
        ...(includeUsage ? [chatChunk(meta, null, usage)] : []),
      ],
      trailer: DONE_PAYLOAD,
      lead: reasoning.map((t) => chatChunk(meta, { reasoning: t, field })),
    },
    tooLong ? { type: "validation", message: tooLong } : undefined,
  );
}
