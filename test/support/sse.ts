/** Parses an SSE body into `[event, data]` pairs. */
export function parseSSE(body: string): [string, unknown][] {
  return body
    .split("\n\n")
    .filter(Boolean)
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? "";
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? "null";
      return [event, JSON.parse(data)];
    });
}
