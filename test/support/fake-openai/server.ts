import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { LoopbackFaultServer } from "../loopback-fault-server.js";
import {
  type FaultConfig,
  faultError,
  INVALID_JSON_MESSAGE,
  invalidRequest,
  type RecordedRequest,
  type Route,
} from "./faults.js";
import { handleChat, handleCompletions, handleEmbeddings, type JsonBody } from "./handlers.js";
import { type Exchange, sendJson, sleep } from "./http-io.js";

export type { FaultConfig, RecordedRequest, Route } from "./faults.js";

/** A loopback server speaking OpenAI's REST and SSE wire formats, with fault injection. */
export interface FakeOpenAIServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>/v1` */
  readonly baseURL: string;
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

const ROUTES: Record<string, Route> = {
  "/v1/chat/completions": "chat",
  "/v1/completions": "completions",
  "/v1/embeddings": "embeddings",
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

class FakeOpenAI
  extends LoopbackFaultServer<FaultConfig, Route, RecordedRequest>
  implements FakeOpenAIServer
{
  private seq = 0;

  constructor(initial: FaultConfig) {
    super(initial, "FakeOpenAI");
  }

  get baseURL(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const seq = ++this.seq;
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const method = req.method ?? "GET";
    const route: Route | "other" = method === "POST" ? (ROUTES[path] ?? "other") : "other";
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
      requestId: `req_fake_${seq}`,
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
    let parseFailed = false;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        parseFailed = true;
      }
    }
    record.body = body;
    record.streamed = isObject(body) && body.stream === true;

    const { cfg, key } = this.effectiveConfig(route);
    await sleep(cfg.headersDelayMs, x.signal);
    if (x.signal.aborted) return;

    if (route === "other") {
      sendJson(x, 404, invalidRequest(`Invalid URL (${method} ${path})`));
      return;
    }
    const model = isObject(body) && typeof body.model === "string" ? body.model : "";
    if (this.shouldFail(cfg, key)) {
      const status = cfg.status as number;
      const err = faultError(status, {
        model: model || "unknown",
        apiKey: bearerToken(req),
        errorMessage: cfg.errorMessage,
        echoKeyInError: cfg.echoKeyInError,
      });
      sendJson(x, status, err, cfg.retryAfter !== undefined ? { "retry-after": cfg.retryAfter } : {});
      return;
    }
    if (parseFailed || !isObject(body)) {
      sendJson(x, 400, invalidRequest(INVALID_JSON_MESSAGE));
      return;
    }
    const prefix = route === "chat" ? "chatcmpl" : route === "completions" ? "cmpl" : "emb";
    const ctx = {
      x,
      cfg,
      body,
      meta: { id: `${prefix}-${seq}`, created: Math.floor(Date.now() / 1000), model },
      trackStream: (d: 1 | -1) => {
        this.streams += d;
      },
    };
    if (route === "chat") await handleChat(ctx);
    else if (route === "completions") await handleCompletions(ctx);
    else await handleEmbeddings(ctx);
  }
}

/** Starts a fake OpenAI server on 127.0.0.1 (random port) with `initial` as the default fault config. */
export function startFakeOpenAI(initial: FaultConfig = {}): Promise<FakeOpenAIServer> {
  return new FakeOpenAI(initial).listen();
}
