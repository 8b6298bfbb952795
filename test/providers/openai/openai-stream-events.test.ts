import type { ServerResponse } from "node:http";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MalformedResponseError, ProviderServerError } from "../../../src/index.js";
import { OpenAI } from "../../../src/providers/openai/index.js";
import { closed, type ScriptedServer, startScriptedServer } from "../../support/loopback-scripted-server.js";

const KEY = "sk-" + "test-abcdefghijklmnopqrstuvwxyz012345";
let server: ScriptedServer;
beforeAll(async () => {
  server = await startScriptedServer();
});
afterAll(() => server.close());

const chunk = (content: string) =>
  `data: ${JSON.stringify({
    id: "c1",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  })}\n\n`;

/** Answers with `events` (raw SSE text) after one good chunk, then keeps the connection open. */
function streamThen(events: string): Promise<ServerResponse> {
  return new Promise((resolve) => {
    server.respond((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(chunk("Hello"));
      res.write(events);
      resolve(res);
    });
  });
}

const llm = () => new OpenAI({ apiKey: KEY, baseURL: `${server.origin}/v1`, maxRetries: 0, model: "m" });

describe("OpenAI: events a stream cannot use", () => {
  it("an event that is not an object (`data: null`) is a MalformedResponseError, and the request is closed", async () => {
    const answered = streamThen("data: null\n\n");
    const it = (await llm().streamChat([{ role: "user", content: "q" }]))[Symbol.asyncIterator]();
    expect((await it.next()).value).toMatchObject({ type: "text-delta", text: "Hello" });
    const error = await it.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect((error as Error).message).toMatch(/stream event it could not read/);
    // The server never ended the response: only the client's abort closes it.
    await closed(await answered);
  });

  it.each([
    ["an `event: error`", 'event: error\ndata: {"error":{"message":"overloaded","code":"server_busy"}}\n\n'],
    ["a `data` error object", 'data: {"error":{"message":"overloaded","code":"server_busy"}}\n\n'],
  ])(
    "%s mid-stream is a ProviderServerError with the server's message, never the key",
    async (_what, events) => {
      const answered = streamThen(events.replace("overloaded", `overloaded for ${KEY}`));
      const it = (await llm().streamChat([{ role: "user", content: "q" }]))[Symbol.asyncIterator]();
      await it.next();
      const error = await it.next().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderServerError);
      expect(error).toMatchObject({
        providerMessage: "overloaded for [redacted]",
        providerCode: "server_busy",
      });
      expect((error as Error).message).toMatch(/mid-stream: overloaded .*Try again later/);
      expect(JSON.stringify(error) + String(error)).not.toContain(KEY);
      await closed(await answered);
    },
  );
});

describe("OpenAI: an answer that is not JSON", () => {
  it("is a MalformedResponseError that quotes neither the key nor keeps the parser's error", async () => {
    server.respond((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(`<html>proxy error for Bearer ${KEY}</html>`);
    });
    const error = await llm()
      .chat([{ role: "user", content: "q" }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalformedResponseError);
    expect((error as Error).message).toMatch(/not valid JSON/);
    expect(inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true })).not.toContain(KEY);
    // V8 quotes the start of the body in a SyntaxError's message: that error is not kept.
    expect((error as Error).cause).toBeUndefined();
  });
});
