import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";

/** What the response helpers record about a request (every fake server's record has these fields). */
export interface ResponseRecord {
  status: number;
  headersSentAt?: number;
  backpressureWaits: number;
}

/** One request/response pair plus its bookkeeping. */
export interface Exchange<Rec extends ResponseRecord = ResponseRecord> {
  req: IncomingMessage;
  res: ServerResponse;
  record: Rec;
  /** Value of the `x-request-id` response header, when the fake sends one. */
  requestId?: string;
  /** Aborted as soon as the response closes (finished, dropped, client gone or server closing). */
  signal: AbortSignal;
  /** Marks the coming socket destruction as deliberate (not a client abort). */
  markDropped(): void;
}

/** Resolves after `ms`, or early (without throwing) when `signal` aborts; the timer is always cleared. */
export function sleep(ms: number | undefined, signal: AbortSignal): Promise<void> {
  if (!ms || ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Writes the status line and headers now and records when. */
export function writeHead(x: Exchange, status: number, headers: OutgoingHttpHeaders): void {
  x.record.status = status;
  x.record.headersSentAt = performance.now();
  x.res.writeHead(status, x.requestId === undefined ? headers : { "x-request-id": x.requestId, ...headers });
}

/** Sends a complete body with the given content type. */
export function sendText(
  x: Exchange,
  status: number,
  contentType: string,
  text: string,
  extra: OutgoingHttpHeaders = {},
): void {
  writeHead(x, status, { "content-type": contentType, "content-length": Buffer.byteLength(text), ...extra });
  x.res.end(text);
}

/** Sends a JSON body (or, with `truncate`, the first half of it). */
export function sendJson(
  x: Exchange,
  status: number,
  body: unknown,
  extra: OutgoingHttpHeaders = {},
  truncate = false,
): void {
  const text = JSON.stringify(body);
  sendText(
    x,
    status,
    "application/json",
    truncate ? text.slice(0, Math.floor(text.length / 2)) : text,
    extra,
  );
}

/** Writes a streamed body with backpressure: waits for 'drain' whenever `res.write()` returns false. */
export class StreamWriter {
  private lastFlush: Promise<void> = Promise.resolve();

  constructor(private readonly x: Exchange) {}

  /** True while the response can still be written. */
  get open(): boolean {
    return !this.x.signal.aborted;
  }

  /** Writes one piece; resolves false if the response closed before or while waiting for 'drain'. */
  async write(text: string): Promise<boolean> {
    if (!this.open) return false;
    const { res, record, signal } = this.x;
    let ok = false;
    this.lastFlush = new Promise<void>((resolve) => {
      ok = res.write(text, () => resolve());
    });
    if (!ok && this.open) {
      record.backpressureWaits++;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off("drain", done);
          signal.removeEventListener("abort", done);
          resolve();
        };
        res.on("drain", done);
        signal.addEventListener("abort", done, { once: true });
      });
    }
    return this.open;
  }

  /** Waits until everything written so far reached the socket (or the response closed). */
  async flushed(): Promise<void> {
    await Promise.race([this.lastFlush, untilAborted(this.x.signal)]);
  }

  /** Destroys the socket mid-response after flushing what was written: no terminator reaches the client. */
  async drop(): Promise<void> {
    await this.flushed();
    if (!this.open) return;
    this.x.markDropped();
    this.x.res.socket?.destroy();
  }

  /** Ends the response cleanly (chunked terminator). */
  end(): void {
    if (this.open) this.x.res.end();
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
