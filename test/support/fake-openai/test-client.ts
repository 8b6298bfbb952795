import { expect } from "vitest";
import type { FakeOpenAIServer } from "./server.js";

/** A JSON object. */
export type Json = Record<string, unknown>;

/** The bearer token the fake-server tests send. */
export const KEY = "sk-" + "test-1234567890abcdefWXYZ";

/** POSTs JSON (or a raw string) to `<baseURL><path>` with the test key. */
export function postTo(
  server: FakeOpenAIServer,
  path: string,
  body: unknown,
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`${server.baseURL}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
}

/** Splits SSE text into the payloads of its `data: ` events, checking the `data: …\n\n` framing. */
export function sseData(text: string): string[] {
  expect(text.endsWith("\n\n")).toBe(true);
  return text
    .slice(0, -2)
    .split("\n\n")
    .map((event) => {
      expect(event.startsWith("data: ")).toBe(true);
      return event.slice("data: ".length);
    });
}

/** Parses every event but the trailing `data: [DONE]`, which must be there. */
export function sseJson(text: string): Json[] {
  const data = sseData(text);
  expect(data.at(-1)).toBe("[DONE]");
  return data.slice(0, -1).map((d) => JSON.parse(d) as Json);
}

/** Reads a body to the end, returning what arrived and the read error, if any. */
export async function readAll(res: Response): Promise<{ text: string; error?: unknown }> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text };
      text += dec.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A minimal chat request body. */
export const chatBody = (extra: Json = {}): Json => ({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "hello there" }],
  ...extra,
});
