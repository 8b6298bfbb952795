// Reasoning from a TGI / Hugging Face Messages API server (loopback, its wire format): delta.reasoning_content as
// reasoning-delta parts, message.reasoning_content on a non-stream answer, and a malformed field typed.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LLMStreamPart, MalformedResponseError } from "../../../src/index.js";
import { HuggingFaceInferenceAPI } from "../../../src/providers/huggingface/index.js";
import { type FakeTGIServer, startFakeTGI } from "../../support/fake-tgi/server.js";

let server: FakeTGIServer;
beforeAll(async () => {
  server = await startFakeTGI();
});
afterAll(() => server.close());
afterEach(async () => {
  await server.waitFor(() => server.openStreams() === 0);
  server.reset();
});

const llm = () =>
  new HuggingFaceInferenceAPI({ endpointUrl: server.baseURL, token: "hf_x", maxRetries: 0, useChat: true });

describe("HuggingFaceInferenceAPI reasoning (Messages API)", () => {
  it("streams delta.reasoning_content as reasoning-delta parts before the text", async () => {
    server.configure({ tokens: ["Par", "is."], reasoningTokens: ["Let", " me", " think."] });
    const seen: string[] = [];
    for await (const part of await llm().streamChat([{ role: "user", content: "q" }])) {
      if (part.type === "text-delta" || part.type === "reasoning-delta")
        seen.push(`${part.type}:${part.text}`);
    }
    expect(seen).toEqual([
      "reasoning-delta:Let",
      "reasoning-delta: me",
      "reasoning-delta: think.",
      "text-delta:Par",
      "text-delta:is.",
    ]);
  });

  it("a non-stream chat keeps message.reasoning_content apart", async () => {
    server.configure({ tokens: ["Par", "is."], reasoningTokens: ["Let", " me", " think."] });
    const res = await llm().chat([{ role: "user", content: "q" }]);
    expect(res.message.content).toBe("Paris.");
    expect(res.reasoning).toBe("Let me think.");
  });

  it("a malformed reasoning field is a MalformedResponseError", async () => {
    // The fake server writes each piece as given: a number is a field of the wrong type.
    server.configure({ tokens: ["a", "b"], reasoningTokens: [42 as unknown as string] });
    const read = async () => {
      const out: LLMStreamPart[] = [];
      for await (const part of await llm().streamChat([{ role: "user", content: "q" }])) out.push(part);
      return out;
    };
    await expect(read()).rejects.toBeInstanceOf(MalformedResponseError);
  });
});
