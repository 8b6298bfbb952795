import { UnexpectedAnswerError } from "./inference-api-errors.js";

/**
 * The most characters one event may hold (its `data` lines, and the line being read), 8 Mi. A TGI event is one
 * token with its logprob, and the last one adds the whole `generated_text` and `details`: even a 100k-token answer
 * is well under 1 MB. Past this the server is not sending TGI events (or never ends a line), and buffering more
 * would only use up memory.
 */
export const MAX_SSE_EVENT_CHARS = 8 * 1024 * 1024;

/**
 * Reads a `text/event-stream` body and yields the `data` of each event, one event per pull (it reads the network
 * only when the events in hand are used up). Follows the SSE parsing rules TGI relies on: `data:` with or without
 * one space, comment lines (`:`, axum's keep-alive) skipped, CRLF/LF/CR line ends, multi-line data joined with
 * `\n`, an unterminated last event dropped. An event over {@link MAX_SSE_EVENT_CHARS} throws an
 * {@link UnexpectedAnswerError} (a `MalformedResponseError` to the caller). Returning early (a `break`) or
 * throwing cancels the body, closing the connection. `parser` is for tests (to read its counters).
 */
export async function* readSseData(
  body: ReadableStream<Uint8Array>,
  parser = new SseDataParser(),
): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let ended = false;
  try {
    while (!ended) {
      const { done, value } = await reader.read();
      ended = done;
      const text = done ? decoder.decode() : decoder.decode(value, { stream: true });
      yield* parser.push(text);
    }
  } finally {
    if (!ended) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/**
 * The event-stream parser behind {@link readSseData}, fed decoded text chunk by chunk. Each character is looked
 * at once: a line split over many chunks is kept as its pieces and joined once, when its end arrives, so a long
 * line costs time in proportion to its length, and at most {@link MAX_SSE_EVENT_CHARS} of memory.
 */
export class SseDataParser {
  /** Characters examined so far (for tests: it equals the characters pushed, whatever the chunking). */
  scanned = 0;
  /** The pieces of the line not ended yet. */
  private pending: string[] = [];
  private pendingChars = 0;
  /** The `data` lines of the event being read (undefined: none yet). */
  private data: string[] | undefined;
  private dataChars = 0;
  /** The last chunk ended with "\r": a "\n" starting the next one is the rest of that line end. */
  private afterCR = false;

  constructor(private readonly maxEventChars = MAX_SSE_EVENT_CHARS) {}

  /** Takes the next piece of the stream; returns the `data` of the events it completed. */
  push(text: string): string[] {
    const events: string[] = [];
    let start = 0;
    if (this.afterCR && text.length > 0) {
      this.afterCR = false;
      if (text.charCodeAt(0) === LF) start = 1;
    }
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== LF && c !== CR) continue;
      this.pending.push(text.slice(start, i));
      const line = this.pending.length === 1 ? (this.pending[0] as string) : this.pending.join("");
      this.pending = [];
      this.pendingChars = 0;
      if (c === CR) {
        if (i + 1 === text.length) this.afterCR = true;
        else if (text.charCodeAt(i + 1) === LF) i++;
      }
      start = i + 1;
      const event = this.line(line);
      if (event !== undefined) events.push(event);
    }
    this.scanned += text.length;
    if (start < text.length) {
      this.pending.push(text.slice(start));
      this.pendingChars += text.length - start;
      this.checkSize();
    }
    return events;
  }

  /** Handles one complete line; returns the event's data when the line (empty) ends an event. */
  private line(line: string): string | undefined {
    if (line === "") {
      const data = this.data?.join("\n");
      this.data = undefined;
      this.dataChars = 0;
      return data;
    }
    if (line.startsWith("data:") || line === "data") {
      const raw = line.slice(5);
      this.data ??= [];
      this.data.push(raw.startsWith(" ") ? raw.slice(1) : raw);
      this.dataChars += raw.length + 1;
      this.checkSize();
    }
    // Comments (":...") and other fields (event, id, retry) carry nothing TGI uses.
    return undefined;
  }

  private checkSize(): void {
    if (this.dataChars + this.pendingChars <= this.maxEventChars) return;
    this.pending = [];
    this.data = undefined;
    throw new UnexpectedAnswerError(
      `an event-stream event of more than ${this.maxEventChars} characters (a TGI event is one token), so the ` +
        "stream was closed",
    );
  }
}

const LF = 0x0a;
const CR = 0x0d;
