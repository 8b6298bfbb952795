import type { ServerResponse } from "node:http";
import type { StreamingResponse } from "../schema/streaming-response.js";
import { streamParts } from "./stream-parts.js";
import { formatSSE, SSE_HEADERS } from "./web-streams.js";

/** Options of {@link pipeToNodeResponse}. */
export interface PipeOptions {
  /** `"sse"` (default): server-sent events with sources, deltas, usage and done; `"text"`: the bare text. */
  format?: "sse" | "text";
  /** Status code when headers were not sent yet (default 200). */
  status?: number;
  /** Extra headers. */
  headers?: Record<string, string>;
}

/**
 * Streams an answer into a Node `ServerResponse`, honouring its backpressure (waits for `drain`). If the
 * client disconnects, the answer is cancelled and the provider request aborted. Resolves when the response
 * has ended.
 *
 * @example
 * ```ts
 * http.createServer(async (req, res) => {
 *   const answer = await engine.query("…");
 *   await answer.pipeToNodeResponse(res);
 * });
 * ```
 */
export async function pipeToNodeResponse(
  response: StreamingResponse,
  res: ServerResponse,
  options: PipeOptions = {},
): Promise<void> {
  const sseFormat = (options.format ?? "sse") === "sse";
  if (!res.headersSent) {
    res.writeHead(options.status ?? 200, {
      ...(sseFormat
        ? SSE_HEADERS
        : { "content-type": "text/plain; charset=utf-8", "cache-control": "no-cache" }),
      ...options.headers,
    });
  }
  let closed = false;
  const onClose = () => {
    closed = true;
    void response.cancel();
  };
  res.once("close", onClose);
  try {
    for await (const part of streamParts(response)) {
      if (closed) break;
      const chunk = sseFormat ? formatSSE(part) : part.type === "text-delta" ? part.text : "";
      if (chunk === "") continue;
      if (!res.write(chunk)) await drainOrClose(res);
    }
  } finally {
    res.off("close", onClose);
    if (!closed && !res.writableEnded) res.end();
  }
}

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}
