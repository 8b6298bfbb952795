import type { IncomingMessage } from "node:http";
import { finished, type Readable, Transform, type TransformCallback } from "node:stream";
import {
  constants,
  createBrotliDecompress,
  createGunzip,
  createInflate,
  createInflateRaw,
  type ZlibOptions,
} from "node:zlib";

/** A response body as `fetch` gives it, and the handle the transport keeps on it. */
export interface ResponseBody {
  stream: ReadableStream<Uint8Array>;
  /** Errors the stream with `reason` and closes the connection (the caller's signal aborted mid-body). */
  abort(reason: unknown): void;
}

/**
 * Bytes the body stream holds for a reader that is not reading before it pauses the socket; past that the
 * kernel's socket buffers fill and the server's `write()` returns false.
 */
const QUEUE_BYTES = 64 * 1024;

/**
 * Turns a `node:http` response into a web `ReadableStream` (a byte stream, as fetch's bodies are), decoding
 * `content-encoding: gzip | deflate | br` as fetch does. Backpressure: the socket is paused while the stream's
 * queue is full and resumed when the reader pulls. Cancelling the stream destroys the connection (the server sees
 * it close). A connection lost or a coding error mid-body errors the stream with a `TypeError("terminated")`, the
 * error undici's fetch gives. `settled` runs once the body ended, failed or was cancelled.
 */
export function responseBody(res: IncomingMessage, settled: () => void): ResponseBody {
  const decoders = decodersFor(res.headers["content-encoding"]);
  const source: Readable =
    decoders.length === 0 ? res : decoders.reduce<Readable>((from, to) => from.pipe(to), res);
  let controller!: ReadableByteStreamController;
  let done = false;
  const end = (): boolean => {
    if (done) return false;
    done = true;
    settled();
    return true;
  };
  const destroy = (): void => {
    res.destroy();
    for (const d of decoders) d.destroy();
  };
  const stream: ReadableStream<Uint8Array> = new ReadableStream(
    {
      type: "bytes",
      start(c) {
        controller = c;
      },
      pull() {
        source.resume();
      },
      cancel() {
        end();
        destroy();
      },
    },
    { highWaterMark: QUEUE_BYTES },
  );
  source.on("data", (chunk: Buffer) => {
    if (done) return;
    // A copy: a byte stream takes over (detaches) the whole ArrayBuffer of what it is given, and Node's chunks
    // share theirs with other data (one socket read, zlib's output buffer, the Buffer pool).
    controller.enqueue(new Uint8Array(chunk));
    if ((controller.desiredSize ?? 0) <= 0) source.pause();
  });
  // `finished` also reports a connection closed before the end of the body (an error, not an end).
  const failed = (error: unknown): void => {
    if (!end()) return;
    controller.error(new TypeError("terminated", { cause: error }));
    destroy();
  };
  for (const s of [res, ...decoders]) s.on("error", failed);
  finished(res, (error) => {
    if (error) failed(error);
  });
  finished(source, (error) => {
    if (error) failed(error);
    else if (end()) controller.close();
  });
  return {
    stream,
    abort(reason) {
      if (!end()) return;
      controller.error(reason);
      destroy();
    },
  };
}

/** Lenient like fetch: a body cut short after the last complete block still yields what was decoded. */
const ZLIB: ZlibOptions = { flush: constants.Z_SYNC_FLUSH, finishFlush: constants.Z_SYNC_FLUSH };
const BROTLI = {
  flush: constants.BROTLI_OPERATION_FLUSH,
  finishFlush: constants.BROTLI_OPERATION_FLUSH,
};

/**
 * The decoders for a `content-encoding` header, first applied first; none for an empty or unknown coding (fetch
 * then hands the body over as it came).
 */
function decodersFor(header: string | undefined): Transform[] {
  if (!header) return [];
  const codings = header
    .toLowerCase()
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "" && c !== "identity")
    .reverse();
  const decoders: Transform[] = [];
  for (const coding of codings) {
    if (coding === "gzip" || coding === "x-gzip") decoders.push(createGunzip(ZLIB));
    else if (coding === "deflate") decoders.push(new InflateEither());
    else if (coding === "br") decoders.push(createBrotliDecompress(BROTLI));
    else return [];
  }
  return decoders;
}

/**
 * `deflate` as servers send it: zlib-wrapped (RFC 1950, as the spec says) or raw (RFC 1951, as some do); the
 * first byte tells which, as in undici.
 */
class InflateEither extends Transform {
  private inner: Transform | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.inner) {
      if (chunk.length === 0) {
        callback();
        return;
      }
      const inner = (chunk[0]! & 0x0f) === 0x08 ? createInflate(ZLIB) : createInflateRaw(ZLIB);
      inner.on("data", (data: Buffer) => this.push(data));
      inner.on("error", (error) => this.destroy(error));
      this.inner = inner;
    }
    this.inner.write(chunk, callback);
  }

  override _flush(callback: TransformCallback): void {
    if (!this.inner) {
      callback();
      return;
    }
    this.inner.once("end", () => callback());
    this.inner.end();
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    this.inner?.destroy();
    callback(error);
  }
}
