import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MalformedResponseError } from "../../../src/index.js";
import { HuggingFaceInferenceAPI } from "../../../src/providers/huggingface/index.js";
import { closed, type ScriptedServer, startScriptedServer } from "../../support/loopback-scripted-server.js";

let server: ScriptedServer;
beforeAll(async () => {
  server = await startScriptedServer();
});
afterAll(() => server.close());

/** Answers with one good event for the route, then `data: null`, then keeps the connection open. */
function tokenThenNull(): Promise<ServerResponse> {
  return new Promise((resolve) => {
    server.respond((req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const good = req.url!.includes("chat")
        ? { choices: [{ index: 0, delta: { content: "hello" }, finish_reason: null }] }
        : { index: 1, token: { id: 1, text: "hello", special: false }, generated_text: null, details: null };
      res.write(`data: ${JSON.stringify(good)}\n\ndata: null\n\n`);
      resolve(res);
    });
  });
}

describe("Hugging Face Inference API: events a stream cannot use", () => {
  it.each([false, true])(
    "useChat %s: `data: null` is a MalformedResponseError after the good token, and the request is closed",
    async (useChat) => {
      const answered = tokenThenNull();
      const llm = new HuggingFaceInferenceAPI({ endpointUrl: server.origin, useChat, maxRetries: 0 });
      const it = (await llm.streamComplete("hi"))[Symbol.asyncIterator]();
      expect((await it.next()).value).toMatchObject({ type: "text-delta", text: "hello" });
      const error = await it.next().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MalformedResponseError);
      expect((error as Error).message).toMatch(/stream event it could not read/);
      await closed(await answered);
    },
  );
});
