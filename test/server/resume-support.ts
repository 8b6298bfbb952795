import { expect } from "vitest";

/** One server-sent event as a client sees it. */
export interface SeenEvent {
  id: number;
  /** `message` for the UI message stream's unnamed events. */
  event: string;
  data: unknown;
  /** The event's text as sent. */
  raw: string;
}

/** Parses complete SSE blocks (`id:`, `event:`, `data:` lines); a trailing partial block is left out. */
export function parseEvents(text: string): SeenEvent[] {
  const blocks = text.split("\n\n");
  blocks.pop(); // after the last "\n\n": empty, or a partial event
  return blocks.map((raw) => {
    const id = /^id: (\d+)$/m.exec(raw)?.[1];
    const data = /^data: (.*)$/m.exec(raw)?.[1] ?? "null";
    return {
      id: id === undefined ? Number.NaN : Number(id),
      event: /^event: (.*)$/m.exec(raw)?.[1] ?? "message",
      data: data === "[DONE]" ? "[DONE]" : JSON.parse(data),
      raw: `${raw}\n\n`,
    };
  });
}

/**
 * Reads an SSE response until `stop(events)` holds (then aborts the request through `controller`, as a dropped
 * connection would), or to its end. Returns the complete events seen.
 */
export async function readEvents(
  res: Response,
  stop: (events: SeenEvent[]) => boolean = () => false,
  controller?: AbortController,
): Promise<SeenEvent[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const events = parseEvents(text);
    if (stop(events)) {
      controller?.abort();
      await reader.cancel().catch(() => {});
      return events;
    }
    const { done, value } = await reader.read();
    if (done) return parseEvents(text);
    text += decoder.decode(value, { stream: true });
  }
}

/** The answer text of SSE events (streamdex's format: `delta` events). */
export function textOf(events: SeenEvent[]): string {
  return events
    .filter((e) => e.event === "delta")
    .map((e) => (e.data as { text: string }).text)
    .join("");
}

/** Asserts the events are numbered `from`, `from + 1`, … with no gap or repeat. */
export function expectConsecutive(events: SeenEvent[], from: number): void {
  expect(events.map((e) => e.id)).toEqual(events.map((_, i) => from + i));
}

/** `GET /api/answers/:answerId`, with `Last-Event-ID` when given. */
export function resume(
  url: string,
  answerId: string,
  lastEventId?: string | number,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${url}/api/answers/${answerId}`, {
    headers: { ...headers, ...(lastEventId === undefined ? {} : { "last-event-id": String(lastEventId) }) },
  });
}

/** Waits `ms`. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
