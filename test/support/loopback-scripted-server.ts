import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { type BaseFaultConfig, LoopbackFaultServer } from "./loopback-fault-server.js";

/** Answers one request; `body` is the request body, read in full. */
export type ScriptedHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
) => void | Promise<void>;

/** One request as the server saw it. */
export interface SeenRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
  /** Which connection (1, 2...) it came on. */
  connection: number;
}

/**
 * A loopback HTTP server (127.0.0.1, port 0) whose answers the test writes: `respond(handler)`. It records each
 * request (method, path, headers, body, connection) and counts connections opened and closed, for tests of an HTTP
 * client's behaviour (headers, bodies, redirects, keep-alive, backpressure, aborts).
 */
export class ScriptedServer extends LoopbackFaultServer<BaseFaultConfig, never, SeenRequest> {
  /** Connections accepted so far. */
  connections = 0;
  /** Connections closed so far. */
  closedConnections = 0;
  private readonly ids = new WeakMap<Socket, number>();
  private handler: ScriptedHandler = (_req, res) => {
    res.writeHead(404).end();
  };

  constructor() {
    super({}, "ScriptedServer");
    this.server.on("connection", (socket) => {
      this.ids.set(socket, ++this.connections);
      socket.once("close", () => this.closedConnections++);
    });
  }

  /** `http://127.0.0.1:<port>` */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Sets how the server answers from now on. */
  respond(handler: ScriptedHandler): void {
    this.handler = handler;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    this.requests.push({
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      body,
      connection: this.ids.get(req.socket) ?? 0,
    });
    await this.handler(req, res, body);
  }
}

/** Starts a {@link ScriptedServer} on 127.0.0.1, port 0. */
export function startScriptedServer(): Promise<ScriptedServer> {
  return new ScriptedServer().listen();
}

/** Resolves when `res` can take more data ('drain') or is closed; true while it is still open. */
export function drainOrClose(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve(!res.destroyed);
    };
    res.once("drain", done);
    res.once("close", done);
  });
}

/** Resolves when the client closed (or the response ended): the `close` event of `res`. */
export function closed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) resolve();
    else res.once("close", () => resolve());
  });
}
