import type { FaultConfig } from "./faults.js";
import { invalidRequest } from "./faults.js";
import { type Exchange, StreamWriter, sendJson, sendText, sleep, writeHead } from "./http-io.js";
import {
  type AnswerMeta,
  chatChoice,
  chatChunk,
  chatCompletionBody,
  chatPromptTokens,
  completionBody,
  completionChoice,
  completionChunk,
  completionPromptTokens,
  embeddingsBody,
  estimateTokens,
  planTokens,
  type ReasoningField,
  reasoningDelta,
  SSE_DONE,
  SSE_MALFORMED,
  sseEvent,
  type Usage,
  usageOf,
} from "./wire-format.js";

/** A JSON object request body. */
export type JsonBody = Record<string, unknown>;

/** Default content pieces: `" tok"` x 16. */
export const DEFAULT_TOKENS: readonly string[] = Array.from({ length: 16 }, () => " tok");

/** Hooks the server gives the handlers. */
export interface HandlerContext {
  x: Exchange;
  cfg: FaultConfig;
  body: JsonBody;
  meta: AnswerMeta;
  /** Called while a stream is being written: +1 at start, -1 at the end. */
  trackStream(delta: 1 | -1): void;
}

/** How one streamed answer is shaped on the wire. */
interface StreamShape {
  head?: unknown;
  token(text: string): unknown;
  /** One reasoning chunk (chat only; routes without it never send reasoning). */
  reasoning?(value: unknown): unknown;
  finish(reason: string): unknown;
  usage(usage: Usage): unknown;
}

const INVALID_INPUT =
  "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.";

function includeUsageRequested(body: JsonBody): boolean {
  const opts = body.stream_options;
  return typeof opts === "object" && opts !== null && (opts as JsonBody).include_usage === true;
}

/** The reasoning pieces to send (the malformed one last) and before which content token, or undefined. */
function reasoningPlan(
  cfg: FaultConfig,
  contentTokens: number,
): { pieces: unknown[]; at: number } | undefined {
  const pieces: unknown[] = [...(cfg.reasoningTokens ?? [])];
  if (cfg.malformedReasoning !== undefined) pieces.push(cfg.malformedReasoning);
  if (pieces.length === 0) return undefined;
  return { pieces, at: Math.min(Math.max(0, cfg.reasoningAfterTokens ?? 0), contentTokens) };
}

/** Sends a non-stream success body, honouring `nonJson` and `truncatedJson`. */
function sendSuccess(ctx: HandlerContext, body: unknown): void {
  if (ctx.cfg.nonJson) {
    sendText(ctx.x, 200, "text/html; charset=utf-8", "<html>oops</html>");
    return;
  }
  if (ctx.cfg.truncatedJson) {
    const text = JSON.stringify(body);
    sendText(ctx.x, 200, "application/json", text.slice(0, Math.floor(text.length / 2)));
    return;
  }
  sendJson(ctx.x, 200, body);
}

/** Writes an SSE answer with every streaming fault knob applied. */
async function streamAnswer(ctx: HandlerContext, shape: StreamShape, promptTokens: number): Promise<void> {
  const { x, cfg, body } = ctx;
  const plan = planTokens(body, cfg.tokens ?? [...DEFAULT_TOKENS]);
  const includeUsage = includeUsageRequested(body);
  const sendUsage = cfg.usage ?? includeUsage;
  const w = new StreamWriter(x);
  ctx.trackStream(1);
  try {
    writeHead(x, 200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    x.res.flushHeaders();
    if (shape.head !== undefined && !(await w.write(sseEvent(shape.head)))) return;
    await sleep(cfg.firstTokenDelayMs, x.signal);
    const total = plan.tokens.length;
    const reasoning = shape.reasoning ? reasoningPlan(cfg, total) : undefined;
    let chunks = 0; // content and reasoning chunks written: every one after the first waits tokenDelayMs
    for (let i = 0; i <= total; i++) {
      if (!w.open) return;
      if (reasoning !== undefined && reasoning.at === i && shape.reasoning) {
        for (const piece of reasoning.pieces) {
          if (chunks++ > 0) await sleep(cfg.tokenDelayMs, x.signal);
          if (!w.open) return;
          const written = w.write(sseEvent(shape.reasoning(piece)));
          x.record.reasoningSent++;
          if (!(await written)) return;
        }
      }
      if (cfg.malformedAfterTokens === i && !(await w.write(SSE_MALFORMED))) return;
      if (cfg.dropAfterTokens === i) {
        await w.drop();
        return;
      }
      const token = plan.tokens[i];
      if (token === undefined) break;
      if (chunks++ > 0) await sleep(cfg.tokenDelayMs, x.signal);
      if (!w.open) return;
      const written = w.write(sseEvent(shape.token(token)));
      x.record.tokensSent++;
      if (!(await written)) return;
    }
    if (cfg.endWithoutDone) {
      w.end();
      return;
    }
    if (!(await w.write(sseEvent(shape.finish(plan.finishReason))))) return;
    if (sendUsage) {
      const reasoningTokens = shape.reasoning ? cfg.reasoningTokens?.length : undefined;
      const usage = usageOf(promptTokens, plan.tokens.length, reasoningTokens);
      if (!(await w.write(sseEvent(shape.usage(usage))))) return;
    }
    if (!(await w.write(SSE_DONE))) return;
    w.end();
  } finally {
    ctx.trackStream(-1);
  }
}

/** POST /v1/chat/completions. */
export async function handleChat(ctx: HandlerContext): Promise<void> {
  const { body, meta, cfg } = ctx;
  const prompt = chatPromptTokens(body);
  const field: ReasoningField = cfg.reasoningField ?? "reasoning_content";
  if (body.stream === true) {
    const u = includeUsageRequested(body) ? null : undefined;
    const deltaContent = cfg.reasoningDeltaContent ?? "omit";
    await streamAnswer(
      ctx,
      {
        head: chatChunk(meta, [chatChoice({ role: "assistant", content: "", refusal: null }, null)], u),
        token:
          deltaContent === "null"
            ? (t) => chatChunk(meta, [chatChoice({ content: t, [field]: null }, null)], u)
            : (t) => chatChunk(meta, [chatChoice({ content: t }, null)], u),
        reasoning: (r) => chatChunk(meta, [chatChoice(reasoningDelta(field, r, deltaContent), null)], u),
        finish: (r) => chatChunk(meta, [chatChoice({}, r)], u),
        usage: (usage) => chatChunk(meta, [], usage),
      },
      prompt,
    );
    return;
  }
  const plan = planTokens(body, cfg.tokens ?? [...DEFAULT_TOKENS]);
  ctx.x.record.tokensSent = plan.tokens.length;
  ctx.x.record.reasoningSent = reasoningPlan(cfg, 0)?.pieces.length ?? 0;
  const usage = usageOf(prompt, plan.tokens.length, cfg.reasoningTokens?.length);
  const value = cfg.malformedReasoning !== undefined ? cfg.malformedReasoning : cfg.reasoningTokens?.join("");
  const reasoning = value === undefined ? undefined : { field, value };
  sendSuccess(ctx, chatCompletionBody(meta, plan.tokens.join(""), plan.finishReason, usage, reasoning));
}

/** POST /v1/completions (legacy). */
export async function handleCompletions(ctx: HandlerContext): Promise<void> {
  const { body, meta, cfg } = ctx;
  const prompt = completionPromptTokens(body);
  if (body.stream === true) {
    const u = includeUsageRequested(body) ? null : undefined;
    await streamAnswer(
      ctx,
      {
        token: (t) => completionChunk(meta, [completionChoice(t, null)], u),
        finish: (r) => completionChunk(meta, [completionChoice("", r)], u),
        usage: (usage) => completionChunk(meta, [], usage),
      },
      prompt,
    );
    return;
  }
  const plan = planTokens(body, cfg.tokens ?? [...DEFAULT_TOKENS]);
  ctx.x.record.tokensSent = plan.tokens.length;
  const usage = usageOf(prompt, plan.tokens.length);
  sendSuccess(ctx, completionBody(meta, plan.tokens.join(""), plan.finishReason, usage));
}

/** POST /v1/embeddings. */
export async function handleEmbeddings(ctx: HandlerContext): Promise<void> {
  const { body, cfg, x } = ctx;
  const raw = body.input;
  const inputs = typeof raw === "string" ? [raw] : raw;
  if (
    !Array.isArray(inputs) ||
    inputs.length === 0 ||
    !inputs.every((s): s is string => typeof s === "string" && s.length > 0)
  ) {
    sendJson(x, 400, invalidRequest(INVALID_INPUT));
    return;
  }
  const dims = body.dimensions ?? 1536;
  if (typeof dims !== "number" || !Number.isInteger(dims) || dims < 1) {
    sendJson(
      x,
      400,
      invalidRequest(
        `Invalid value for 'dimensions' = ${String(dims)}. Must be a positive integer.`,
        "dimensions",
      ),
    );
    return;
  }
  const encoding = body.encoding_format ?? "float";
  if (encoding !== "float" && encoding !== "base64") {
    sendJson(
      x,
      400,
      invalidRequest(
        `Invalid value for 'encoding_format' = ${String(encoding)}. Supported values are: 'float' and 'base64'.`,
        "encoding_format",
      ),
    );
    return;
  }
  if (cfg.maxInputTokens !== undefined) {
    const max = cfg.maxInputTokens;
    const over = inputs.map(estimateTokens).find((n) => n > max);
    if (over !== undefined) {
      const msg = `This model's maximum context length is ${max} tokens, however you requested ${over} tokens (${over} in your prompt; 0 for the completion). Please reduce your prompt; or completion length.`;
      sendJson(x, 400, invalidRequest(msg));
      return;
    }
  }
  sendSuccess(ctx, embeddingsBody(ctx.meta.model, inputs, dims, encoding));
}
