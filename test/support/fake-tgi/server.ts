import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { LoopbackFaultServer } from "../loopback-fault-server.js";
import { type FaultConfig, faultError, type RecordedRequest, type Route } from "./faults.js";
import {
  type HandlerContext,
  handleChat,
  handleGenerate,
  handleGenerateStream,
  type JsonBody,
} from "./handlers.js";
import { type Exchange, sendJson, sendText, sleep, writeHead } from "./http-io.js";
import { infoBody } from "./wire-format.js";

export type { FaultConfig, RecordedRequest, Route } from "./faults.js";
export { thinkBlockTokens } from "./wire-format.js";

/** What the fake server serves (fixed for its lifetime). */
export interface FakeTGIOptions {
  /** `/info`'s `model_id`, also the `model` of every chat answer (default `"fake-org/fake-llm-7b"`). */
  modelId?: string;
  /** `/info`'s `max_total_tokens`: prompt tokens + `max_new_tokens` above it fail validation (default 4096). */
  maxTotalTokens?: number;
}

/**
 * A loopback server speaking Text Generation Inference's HTTP API (`/generate`, `/generate_stream`, `/`,
 * `/v1/chat/completions`, `/info`, `/health`) with TGI's own SSE framing and error bodies, with fault injection.
 * Inference Endpoints serve the same API behind a bearer token (`requireToken`).
 */
export interface FakeTGIServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>`: what a client takes as its endpoint URL. */
  readonly baseURL: string;
  readonly modelId: string;
  readonly requests: RecordedRequest[];
  /** Replaces the config for a route (or the default for all routes); route fields win over default fields. */
  configure(config: FaultConfig, route?: Route): void;
  /** Clears requests, route configs and failTimes counters; the default config goes back to the initial one. */
  reset(): void;
  /** Polls `predicate` every 5 ms; rejects after `timeoutMs` (default 5000). A throwing predicate counts as false. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Streams currently being written. */
  openStreams(): number;
  /** Closes the server and destroys open sockets. */
  close(): Promise<void>;
}

const ROUTES: Record<string, [method: string, route: Route]> = {
  "/generate": ["POST", "generate"],
  "/generate_stream": ["POST", "generate_stream"],
  "/v1/chat/completions": ["POST", "chat"],
  "/": ["POST", "compat"],
  "/info": ["GET", "info"],
  "/health": ["GET", "health"],
};

function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== "string") return undefined;
  const m = /^Bearer\s+(.*)$/i.exec(h.trim());
  return m ? m[1] : undefined;
}

function isObject(v: unknown): v is JsonBody {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

class FakeTGI extends LoopbackFaultServer<FaultConfig, Route, RecordedRequest> implements FakeTGIServer {
  readonly modelId: string;
  private readonly maxTotalTokens: number;

  constructor(initial: FaultConfig, options: FakeTGIOptions) {
    super(initial, "FakeTGI");
    this.modelId = options.modelId ?? "fake-org/fake-llm-7b";
    this.maxTotalTokens = options.maxTotalTokens ?? 4096;
  }

  get baseURL(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const method = req.method ?? "GET";
    const known = ROUTES[path];
    const route: Route | "other" = known && known[0] === method ? known[1] : "other";
    const record: RecordedRequest = {
      index: this.requests.length,
      route,
      method,
      path,
      headers: { ...req.headers },
      body: undefined,
      streamed: false,
      status: 0,
      tokensSent: 0,
      reasoningSent: 0,
      clientAborted: false,
      finished: false,
      receivedAt: performance.now(),
      backpressureWaits: 0,
    };
    this.requests.push(record);
    const controller = new AbortController();
    let dropped = false;
    res.once("finish", () => {
      record.finished = true;
    });
    res.once("close", () => {
      if (!record.finished && !dropped && !this.closing) record.clientAborted = true;
      controller.abort();
    });
    const x: Exchange = {
      req,
      res,
      record,
      signal: controller.signal,
      markDropped: () => {
        dropped = true;
      },
    };

    let text: string;
    try {
      text = await readBody(req);
    } catch {
      return; // the client went away while sending the body
    }
    let body: unknown;
    let parseError: string | undefined;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch (e) {
        parseError = (e as Error).message;
      }
    }
    record.body = body;
    record.streamed = route === "generate_stream" || (isObject(body) && body.stream === true);

    const { cfg, key } = this.effectiveConfig(route);
    await sleep(cfg.headersDelayMs, x.signal);
    if (x.signal.aborted) return;

    if (route === "other") {
      // axum's answer to an unknown path or method: an empty 404 / 405.
      writeHead(x, known ? 405 : 404, { "content-length": 0 });
      res.end();
      return;
    }
    const token = bearerToken(req);
    const model = isObject(body) && typeof body.model === "string" ? body.model : this.modelId;
    const errorCtx = {
      model,
      token,
      errorMessage: cfg.errorMessage,
      echoKeyInError: cfg.echoKeyInError,
      estimatedTime: cfg.estimatedTime,
    };
    if (cfg.requireToken !== undefined && token !== cfg.requireToken) {
      sendJson(x, 401, faultError(401, { ...errorCtx, errorMessage: undefined }));
      return;
    }
    if (this.shouldFail(cfg, key)) {
      const status = cfg.status as number;
      sendJson(
        x,
        status,
        faultError(status, errorCtx),
        cfg.retryAfter ? { "retry-after": cfg.retryAfter } : {},
      );
      return;
    }
    if (route === "info")
      return sendJson(x, 200, infoBody(this.modelId, this.maxTotalTokens - 1, this.maxTotalTokens));
    if (route === "health") return sendText(x, 200, "text/plain", "");
    if (parseError !== undefined || !isObject(body)) {
      // axum's JSON extractor: 400 for bad syntax, plain text.
      const why = parseError ?? "expected a JSON object";
      sendText(x, 400, "text/plain; charset=utf-8", `Failed to parse the request body as JSON: ${why}`);
      return;
    }
    const ctx: HandlerContext = {
      x,
      cfg,
      body,
      modelId: this.modelId,
      maxTotalTokens: this.maxTotalTokens,
      trackStream: (d) => {
        this.streams += d;
      },
    };
    if (route === "generate") await handleGenerate(ctx);
    else if (route === "generate_stream") await handleGenerateStream(ctx);
    else if (route === "chat") await handleChat(ctx);
    else if (body.stream === true) await handleGenerateStream(ctx);
    else await handleGenerate(ctx, true);
  }
}

/** Starts a fake TGI server on 127.0.0.1 (random port) with `initial` as the default fault config. */
export function startFakeTGI(
  initial: FaultConfig = {},
  options: FakeTGIOptions = {},
): Promise<FakeTGIServer> {
  return new FakeTGI(initial, options).listen();
}
