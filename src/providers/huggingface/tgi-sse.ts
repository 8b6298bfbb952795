/**
 * TGI's `text/event-stream` body as the `data` of its events, parsed by `eventsource-parser` (the WHATWG parsing
 * rules: CR/LF/CRLF line ends, `data:` with or without one space, comments and other fields skipped, multi-line
 * data joined with `\n`). What stays here: reading the body one pull at a time, the per-event size cap, and
 * closing the connection on an early return or an error.
 */
import { createParser } from "eventsource-parser";
import { UnexpectedAnswerError } from "./inference-api-errors.js";

/**
 * The most characters one event may hold (its `data` lines, and the line being read), 8 Mi. A TGI event is one
 * token with its logprob, and the last one adds the whole `generated_text` and `details`: even a 100k-token answer
 * is well under 1 MB. Past this the server is not sending TGI events (or never ends a line), and buffering more
 * would only use up memory.
 */
export const MAX_SSE_EVENT_CHARS = 8 * 1024 * 1024;

/**
 * Reads a `text/event-stream` body and yields the `data` of each event, reading the network only when the events
 * in hand are used up. An unterminated last event is dropped. An event over `maxEventChars` (default
 * {@link MAX_SSE_EVENT_CHARS}) throws an {@link UnexpectedAnswerError} (a `MalformedResponseError` to the caller),
 * after the events completed before it. Returning early (a `break`) or throwing cancels the body, closing the
 * connection.
 */
export async function* readSseData(
  body: ReadableStream<Uint8Array>,
  maxEventChars = MAX_SSE_EVENT_CHARS,
): AsyncGenerator<string> {
  const events: string[] = [];
  let overflow = false;
  const parser = createParser({
    maxBufferSize: maxEventChars,
    onEvent: (event) => events.push(event.data),
    // Unknown fields and bad `retry` values carry nothing TGI uses; only the size cap is an error.
    onError: (error) => {
      if (error.type === "max-buffer-size-exceeded") overflow = true;
    },
  });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let ended = false;
  try {
    while (!ended) {
      const { done, value } = await reader.read();
      ended = done;
      parser.feed(done ? decoder.decode() : decoder.decode(value, { stream: true }));
      for (let i = 0; i < events.length; i++) yield events[i] as string;
      events.length = 0;
      if (overflow) {
        throw new UnexpectedAnswerError(
          `an event-stream event of more than ${maxEventChars} characters (a TGI event is one token), so the ` +
            "stream was closed",
        );
      }
    }
  } finally {
    if (!ended) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
