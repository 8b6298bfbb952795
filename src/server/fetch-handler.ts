import { iterableToReadableStream } from "../streaming/web-streams.js";
import { createHandlerCore } from "./handle-request.js";
import { HttpError } from "./http-error.js";
import type { ServerOptions } from "./options.js";

/** A fetch-style handler: Web `Request` in, Web `Response` out. */
export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * The API as a fetch-style handler, for Hono, Next.js route handlers and other Web-standard servers. Same
 * routes and checks as {@link createRequestHandler}. Cancelling the response body, or aborting
 * `request.signal`, aborts the provider request. Never rejects.
 *
 * @example
 * ```ts
 * const handler = createFetchHandler({ createEngine });
 * app.all("*", (c) => handler(c.req.raw)); // Hono
 * ```
 */
export function createFetchHandler(options: ServerOptions): FetchHandler {
  const handle = createHandlerCore(options);
  return async (request) => {
    const reply = await handle({
      method: request.method,
      path: new URL(request.url).pathname,
      header: (name) => request.headers.get(name) ?? undefined,
      readBody: (maxBytes) => readBody(request, maxBytes),
      signal: request.signal,
    });
    if (!("stream" in reply)) {
      const noBody = reply.status === 204 || request.method === "HEAD";
      return new Response(noBody ? null : reply.body, { status: reply.status, headers: reply.headers });
    }
    const { stream } = reply;
    const encoder = new TextEncoder();
    const bytes = iterableToReadableStream(encode(stream.chunks, encoder), () => stream.cancel());
    return new Response(bytes, { status: reply.status, headers: reply.headers });
  };
}

async function* encode(chunks: AsyncIterable<string>, encoder: TextEncoder): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) yield encoder.encode(chunk);
}

async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = new HttpError(413, "body_too_large", `The body is larger than ${maxBytes} bytes.`);
  if (Number(request.headers.get("content-length")) > maxBytes) throw tooLarge;
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    size += r.value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge;
    }
    chunks.push(r.value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
