/**
 * Reads a `text/event-stream` body and yields the `data` of each event, one event per pull (it reads the network
 * only when the events in hand are used up). Follows the SSE parsing rules TGI relies on: `data:` with or without
 * one space, comment lines (`:`, axum's keep-alive) skipped, CRLF/LF/CR line ends, multi-line data joined with
 * `\n`, an unterminated last event dropped. Returning early (a `break`) cancels the body, closing the connection.
 */
export async function* readSseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] | undefined;
  let ended = false;
  try {
    while (!ended) {
      const { done, value } = await reader.read();
      ended = done;
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer[i];
        if (c !== "\n" && c !== "\r") continue;
        // A "\r" at the end of the buffer may be the first half of "\r\n": wait for the next chunk.
        if (c === "\r" && i === buffer.length - 1 && !done) break;
        const line = buffer.slice(start, i);
        if (c === "\r" && buffer[i + 1] === "\n") i++;
        start = i + 1;
        if (line === "") {
          if (data !== undefined) yield data.join("\n");
          data = undefined;
        } else if (line.startsWith("data:") || line === "data") {
          const raw = line.slice(5);
          data = [...(data ?? []), raw.startsWith(" ") ? raw.slice(1) : raw];
        }
        // Comments (":...") and other fields (event, id, retry) carry nothing TGI uses.
      }
      buffer = buffer.slice(start);
    }
  } finally {
    if (!ended) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
