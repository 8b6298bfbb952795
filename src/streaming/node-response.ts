import type { ServerResponse } from "node:http";
import { streamParts } from "./stream-parts.js";
import type { StreamingResponse } from "./streaming-response.js";
import { formatSSE, SSE_HEADERS } from "./web-streams.js";
import { writeRespectingBackpressure } from "./writable.js";

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
  // The client may have left while the query was running: nobody to stream to.
  if (res.destroyed || res.writableEnded) {
    await response.cancel();
    return;
  }
  const sseFormat = (options.format ?? "sse") === "sse";
  if (!res.headersSent) {
    res.writeHead(options.status ?? 200, {
      ...(sseFormat
        ? SSE_HEADERS
        : { "content-type": "text/plain; charset=utf-8", "cache-control": "no-cache" }),
      ...options.headers,
    });
  }
  const onClose = () => void response.cancel();
  res.once("close", onClose);
  try {
    for await (const part of streamParts(response)) {
      const chunk = sseFormat ? formatSSE(part) : part.type === "text-delta" ? part.text : "";
      if (chunk === "") continue;
      if ((await writeRespectingBackpressure(res, chunk)) !== "ok") {
        await response.cancel();
        break;
      }
    }
  } finally {
    res.off("close", onClose);
    if (!res.destroyed && !res.writableEnded) res.end();
  }
}
