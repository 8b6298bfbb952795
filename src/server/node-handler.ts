import type { IncomingMessage, ServerResponse } from "node:http";
import { AbortError } from "../errors/index.js";
import { writeRespectingBackpressure } from "../streaming/writable.js";
import { createHandlerCore } from "./handle-request.js";
import { HttpError } from "./http-error.js";
import type { ServerOptions } from "./options.js";

/** A `node:http` request listener. */
export type NodeRequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The API as a `node:http` request listener (also fits Express and Connect). Streams with backpressure; a
 * client that disconnects aborts the provider request. Never rejects.
 *
 * @example
 * ```ts
 * http.createServer(createRequestHandler({ createEngine, token: process.env.STREAMDEX_TOKEN })).listen(8080);
 * ```
 */
export function createRequestHandler(options: ServerOptions): NodeRequestHandler {
  const handle = createHandlerCore(options);
  return async (req, res) => {
    try {
      await serve(handle, req, res);
    } catch {
      // Only a failing socket gets here (the core answers every error): nothing left to tell the client.
      if (!res.headersSent && !res.destroyed) res.writeHead(500).end();
      else res.destroy();
    }
  };
}

async function serve(
  handle: ReturnType<typeof createHandlerCore>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort(new AbortError("The client closed the connection."));
  });
  const reply = await handle({
    method: req.method ?? "GET",
    path: pathOf(req.url ?? "/"),
    header: (name) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(", ") : value;
    },
    readBody: (maxBytes) => readBody(req, maxBytes),
    signal: controller.signal,
  });
  if (!("stream" in reply)) {
    if (res.destroyed || res.headersSent) return;
    // The body was not (fully) read: close the connection rather than read the rest.
    if (!req.complete) res.setHeader("connection", "close");
    res.writeHead(reply.status, reply.headers).end(reply.body);
    return;
  }
  const { stream } = reply;
  if (res.destroyed) {
    await stream.cancel();
    return;
  }
  res.writeHead(reply.status, reply.headers);
  res.flushHeaders();
  try {
    for await (const chunk of stream.chunks) {
      if ((await writeRespectingBackpressure(res, chunk)) !== "ok") {
        await stream.cancel();
        break;
      }
    }
  } finally {
    if (!res.destroyed && !res.writableEnded) res.end();
  }
}

/** The path of a request target, without query string or fragment. Not decoded, not normalised. */
function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** Reads the body up to `maxBytes`. Beyond, stops reading (without destroying the socket, so a 413 can be sent). */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(req.headers["content-length"]);
  if (declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  if (req.readableEnded) {
    const message = "The request body was already read: mount this handler before any body parser.";
    return Promise.reject(new HttpError(500, "body_already_read", message));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (error?: Error) => {
      req.off("data", onData).off("end", onEnd).off("error", settle).off("aborted", onAborted);
      if (error) {
        req.pause();
        reject(error);
      } else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) settle(tooLarge(maxBytes));
      else chunks.push(chunk);
    };
    const onEnd = () => settle();
    const onAborted = () => settle(new AbortError("The client closed the connection."));
    req.on("data", onData).once("end", onEnd).once("error", settle).once("aborted", onAborted);
  });
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, "body_too_large", `The body is larger than ${maxBytes} bytes.`, {
    connection: "close",
  });
}
