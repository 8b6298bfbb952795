import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import {
  AIMessage,
  AIMessageChunk,
  HumanMessage,
  ChatMessage as LangChainChatMessage,
  SystemMessage,
  ToolMessage,
} from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import { describe, expect, it } from "vitest";
import {
  AbortError,
  AuthenticationError,
  BadRequestError,
  type ChatMessage,
  getResponseSynthesizer,
  InvalidArgumentError,
  ModelNotFoundError,
  ProviderConnectionError,
  ProviderError,
  RateLimitError,
  RetrieverQueryEngine,
} from "../../../src/index.js";
import { chunkMapper, toTokenUsage } from "../../../src/providers/langchain/chunks.js";
import { secretsOf, toStreamdexError } from "../../../src/providers/langchain/errors.js";
import { LangChainLLM } from "../../../src/providers/langchain/index.js";
import {
  fromLangChainMessage,
  textOf,
  toLangChainMessages,
} from "../../../src/providers/langchain/messages.js";
import { FixedRetriever, nodes } from "../../support/fixtures.js";
import { expectNoSecret } from "./secret-leaks.js";

describe("message conversion", () => {
  it("ours → LangChain → ours is the identity", () => {
    const ours: ChatMessage[] = [
      { role: "system", content: "be brief" },
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
    ];
    const lc = toLangChainMessages(ours);
    expect(lc[0]).toBeInstanceOf(SystemMessage);
    expect(lc[1]).toBeInstanceOf(HumanMessage);
    expect(lc[2]).toBeInstanceOf(AIMessage);
    expect(lc.map(fromLangChainMessage)).toEqual(ours);
  });

  it("LangChain content blocks become their text; generic messages map by role", () => {
    const blocks = new AIMessage({
      content: [
        { type: "text", text: "Hel" },
        { type: "image_url", image_url: { url: "data:," } },
        { type: "text", text: "lo" },
      ],
    });
    expect(fromLangChainMessage(blocks)).toEqual({ role: "assistant", content: "Hello" });
    expect(fromLangChainMessage(new LangChainChatMessage("x", "user"))).toEqual({
      role: "user",
      content: "x",
    });
    expect(textOf([{ type: "text_delta", text: "a" }, "b", { type: "tool_use", input: "{}" }])).toBe("ab");
    expect(textOf(undefined)).toBe("");
  });

  it("rejects roles and messages that have no counterpart", () => {
    expect(() => toLangChainMessages([{ role: "tool", content: "x" } as never])).toThrow(
      InvalidArgumentError,
    );
    expect(() => toLangChainMessages([{ role: "user", content: 1 } as never])).toThrow(/content/);
    expect(() => toLangChainMessages("hi" as never)).toThrow(InvalidArgumentError);
    expect(() => fromLangChainMessage(new ToolMessage({ content: "r", tool_call_id: "1" }))).toThrow(/tool/);
  });
});

describe("usage and chunk mapping", () => {
  it("usage_metadata → TokenUsage", () => {
    expect(toTokenUsage({ input_tokens: 5, output_tokens: 3, total_tokens: 8 })).toEqual({
      promptTokens: 5,
      completionTokens: 3,
      totalTokens: 8,
    });
    expect(toTokenUsage({ input_tokens: 5, output_tokens: 3 })).toMatchObject({ totalTokens: 8 });
    expect(toTokenUsage(undefined)).toBeUndefined();
    expect(toTokenUsage({})).toBeUndefined();
  });

  it("one chunk → its parts (text, then finish); usage split over chunks is summed; finish reason read", () => {
    const map = chunkMapper();
    const first = new AIMessageChunk({
      content: "a",
      usage_metadata: { input_tokens: 10, output_tokens: 1, total_tokens: 11 },
    });
    const last = new AIMessageChunk({
      content: [{ type: "text", text: "b" }],
      usage_metadata: { input_tokens: 0, output_tokens: 4, total_tokens: 4 },
      response_metadata: { stop_reason: "end_turn" },
    });
    // A chunk with text and usage is two parts: the text-delta, then a finish part with the usage.
    expect(map(first)).toMatchObject([
      { type: "text-delta", text: "a" },
      { type: "finish", usage: { promptTokens: 10, completionTokens: 1 } },
    ]);
    // An empty chunk carries nothing: no part (no empty text-delta).
    expect(map(new AIMessageChunk(""))).toEqual([]);
    expect(map(last)).toMatchObject([
      { type: "text-delta", text: "b", raw: last },
      {
        type: "finish",
        usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
        finishReason: "end_turn",
      },
    ]);
    expect(map("text chunk")).toEqual({ type: "text-delta", text: "text chunk" });
  });

  it("a model reporting usage over several chunks gives the summed usage on the final Response", async () => {
    class SplitUsage extends BaseChatModel {
      _llmType() {
        return "split-usage";
      }
      async _generate(): Promise<ChatResult> {
        throw new Error("unused");
      }
      override async *_streamResponseChunks(): AsyncGenerator<ChatGenerationChunk> {
        const usage = [
          { input_tokens: 12, output_tokens: 1, total_tokens: 13 },
          { input_tokens: 0, output_tokens: 6, total_tokens: 6 },
        ];
        for (const [i, text] of ["x", "y"].entries()) {
          yield new ChatGenerationChunk({
            message: new AIMessageChunk({ content: text, usage_metadata: usage[i] }),
            text,
          });
        }
      }
    }
    const llm = new LangChainLLM(new SplitUsage({}));
    const engine = new RetrieverQueryEngine({
      retriever: new FixedRetriever(nodes(1)),
      responseSynthesizer: getResponseSynthesizer({ streaming: true, llm }),
    });
    const final = await (await engine.query("q")).getResponse();
    expect(final.response).toBe("xy");
    expect(final.usage).toEqual({ promptTokens: 12, completionTokens: 7, totalTokens: 19 });
  });
});

describe("error mapping", () => {
  const ctx = { what: "LangChain X (m) stream", secrets: ["sk-live-secret-value"] };
  const withFields = (message: string, fields: Record<string, unknown>) =>
    Object.assign(new Error(message), fields);

  it("maps statuses and LangChain error codes to typed errors, redacting secrets", () => {
    const e401 = toStreamdexError(withFields("401 bad key sk-live-secret-value", { status: 401 }), ctx);
    expect(e401).toBeInstanceOf(AuthenticationError);
    expect(e401.message).not.toContain("sk-live-secret-value");
    expect(toStreamdexError(withFields("x", { lc_error_code: "MODEL_RATE_LIMIT" }), ctx)).toBeInstanceOf(
      RateLimitError,
    );
    expect(toStreamdexError(withFields("x", { response: { status: 404 } }), ctx)).toBeInstanceOf(
      ModelNotFoundError,
    );
    const overflow = withFields("too long", { name: "ContextOverflowError" });
    expect(toStreamdexError(overflow, ctx)).toBeInstanceOf(BadRequestError);
    const refused = new Error("fetch failed", {
      cause: withFields("connect ECONNREFUSED", { code: "ECONNREFUSED" }),
    });
    expect(toStreamdexError(refused, ctx)).toBeInstanceOf(ProviderConnectionError);
    expect(toStreamdexError(new Error(`key ${"sk-"}abcdefghijklmnop1234 leaked`), ctx).message).not.toContain(
      "sk-" + "abcdefghijklmnop1234",
    );
  });

  it("aborts become AbortError; anything else a ProviderError keeping a copy of the cause", () => {
    const abort = new DOMException("This operation was aborted", "AbortError");
    expect(toStreamdexError(abort, ctx)).toBeInstanceOf(AbortError);
    expect(toStreamdexError(withFields("x", { name: "ModelAbortError" }), ctx)).toBeInstanceOf(AbortError);
    const original = new Error("weird");
    const mapped = toStreamdexError(original, ctx);
    expect(mapped).toBeInstanceOf(ProviderError);
    expect(mapped.cause).toBeInstanceOf(Error);
    expect(mapped.cause).toMatchObject({ name: "Error", message: "weird" });
  });

  it("the cause is a scrubbed copy: name, status, code and message, no stack, body or headers", () => {
    const secret = "sk-live-secret-value";
    const socket = withFields(`read ECONNRESET ${secret}`, { code: "ECONNRESET" });
    const original = withFields(`401 Incorrect API key (Authorization: Bearer ${secret})`, {
      name: "AuthenticationError",
      status: 401,
      code: "invalid_api_key",
      error: { message: `Bearer ${secret}` },
      headers: { authorization: `Bearer ${secret}` },
      cause: socket,
    });
    for (const mapped of [
      toStreamdexError(original, ctx),
      toStreamdexError(original, { ...ctx, signal: AbortSignal.abort() }),
    ]) {
      const cause = mapped.cause as Error & Record<string, unknown>;
      expect(cause).not.toBe(original);
      expect(cause).toMatchObject({
        name: "AuthenticationError",
        message: "401 Incorrect API key (Authorization: Bearer [redacted])",
        status: 401,
        code: "invalid_api_key",
      });
      expect(cause.stack).toBe(
        "AuthenticationError: 401 Incorrect API key (Authorization: Bearer [redacted])",
      );
      expect(cause.error).toBeUndefined();
      expect(cause.headers).toBeUndefined();
      expect(cause.cause).toMatchObject({ message: "read ECONNRESET [redacted]", code: "ECONNRESET" });
      expectNoSecret(mapped, secret);
    }
    expect(toStreamdexError(original, { ...ctx, signal: AbortSignal.abort() })).toBeInstanceOf(AbortError);
  });

  it("finds key-like fields on a model", () => {
    expect(secretsOf({ apiKey: "sk-123456789", openAIApiKey: "abcdefgh", maxTokens: 5, model: "m" })).toEqual(
      ["sk-123456789", "abcdefgh"],
    );
  });
});
