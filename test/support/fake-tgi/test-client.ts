import { expect } from "vitest";
import type { FakeTGIServer } from "./server.js";

/** A JSON object. */
export type Json = Record<string, unknown>;

/** The bearer token the fake-server tests send. */
export const TOKEN = "hf_testTokenAbCdEf0123456789xyz";

/** POSTs JSON (or a raw string) to `<baseURL><path>` with the test token. */
export function postTo(
  server: FakeTGIServer,
  path: string,
  body: unknown,
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`${server.baseURL}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
}

/**
 * Splits SSE text into its events, checking the `data:<payload>\n\n` framing (`space`: `data: <payload>`);
 * comment events (`:`) come back as `":"`.
 */
export function sseData(text: string, space = false): string[] {
  expect(text.endsWith("\n\n")).toBe(true);
  const prefix = space ? "data: " : "data:";
  return text
    .slice(0, -2)
    .split("\n\n")
    .map((event) => {
      if (event === ":") return ":";
      expect(event.startsWith(prefix)).toBe(true);
      if (!space) expect(event.startsWith("data: ")).toBe(false);
      return event.slice(prefix.length);
    });
}

/** Parses every data event (comments skipped; a trailing `[DONE]` must be there iff `done`). */
export function sseJson(text: string, done = false): Json[] {
  const data = sseData(text).filter((d) => d !== ":");
  if (done) expect(data.at(-1)).toBe("[DONE]");
  else expect(data).not.toContain("[DONE]");
  return (done ? data.slice(0, -1) : data).map((d) => JSON.parse(d) as Json);
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

/** A minimal `/generate(_stream)` body. */
export const genBody = (parameters: Json = {}, extra: Json = {}): Json => ({
  inputs: "What is Deep Learning?",
  parameters: { details: true, ...parameters },
  ...extra,
});

/** A minimal Messages API body. */
export const chatBody = (extra: Json = {}): Json => ({
  model: "tgi",
  messages: [{ role: "user", content: "hello there" }],
  ...extra,
});
