import { describe, expect, it } from "vitest";
import {
  BaseLLM,
  type ChatMessage,
  type ChatResponse,
  type CompletionResponse,
  type LLMMetadata,
  type LLMStream,
  type LLMStreamPart,
  NotImplementedError,
  StreamdexError,
} from "../../src/index.js";
import { assertCanStream, drain } from "../../src/llms/base-llm.js";

const metadata: LLMMetadata = { model: "t", contextWindow: 100, numOutput: 10, isChatModel: false };

class CompleteOnly extends BaseLLM {
  metadata = metadata;
  prompts: string[] = [];
  protected override async doComplete(prompt: string): Promise<CompletionResponse> {
    this.prompts.push(prompt);
    return { text: `echo:${prompt}` };
  }
}

class ChatOnly extends BaseLLM {
  metadata = { ...metadata, isChatModel: true };
  seen: ChatMessage[][] = [];
  protected override async doChat(messages: ChatMessage[]): Promise<ChatResponse> {
    this.seen.push(messages);
    return { message: { role: "assistant", content: `chat:${messages.at(-1)?.content}` } };
  }
}

class StreamChatOnly extends BaseLLM {
  metadata = { ...metadata, isChatModel: true };
  protected override async doStreamChat(messages: ChatMessage[]): Promise<LLMStream> {
    const text = messages.at(-1)?.content ?? "";
    return (async function* (): AsyncGenerator<LLMStreamPart> {
      for (const ch of text) yield { type: "text-delta", text: ch };
      yield {
        type: "finish",
        usage: { promptTokens: 1, completionTokens: text.length, totalTokens: 1 + text.length },
      };
    })();
  }
}

describe("BaseLLM derives the missing half", () => {
  it("derives chat from complete, formatting messages as a prompt", async () => {
    const llm = new CompleteOnly();
    const res = await llm.chat([{ role: "user", content: "hi" }]);
    expect(res.message).toEqual({ role: "assistant", content: "echo:user: hi\nassistant: " });
  });

  it("derives complete from chat, sending the prompt as one user message", async () => {
    const llm = new ChatOnly();
    expect((await llm.complete("question")).text).toBe("chat:question");
    expect(llm.seen[0]).toEqual([{ role: "user", content: "question" }]);
  });

  it("derives streamComplete from streamChat and complete by draining the stream", async () => {
    const llm = new StreamChatOnly();
    const parts: string[] = [];
    for await (const p of await llm.streamComplete("abc"))
      parts.push(p.type === "text-delta" ? p.text : p.type);
    expect(parts).toEqual(["a", "b", "c", "finish"]);
    const res = await llm.complete("xyz");
    expect(res.text).toBe("xyz");
    expect(res.usage?.completionTokens).toBe(3);
  });

  it("tells whether it streams before any call, and never fakes streaming", async () => {
    expect(new CompleteOnly().supportsStreaming).toBe(false);
    expect(new ChatOnly().supportsStreaming).toBe(false);
    expect(new StreamChatOnly().supportsStreaming).toBe(true);
    const llm = new CompleteOnly();
    const err = await llm.streamComplete("x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotImplementedError);
    expect(err).toBeInstanceOf(StreamdexError);
    expect((err as Error).message).toContain("CompleteOnly");
    expect(llm.prompts).toHaveLength(0);
    expect(() => assertCanStream(llm)).toThrow(/CompleteOnly does not support streaming/);
  });

  it("a class with no implementation at all says what to implement", async () => {
    class Empty extends BaseLLM {
      metadata = metadata;
    }
    await expect(new Empty().complete("x")).rejects.toThrow(/implement doComplete, doChat/);
  });

  it("drain keeps the last usage and finish reason", async () => {
    const usage = { promptTokens: 1, completionTokens: 2, totalTokens: 3 };
    const stream = (async function* (): AsyncGenerator<LLMStreamPart> {
      yield { type: "text-delta", text: "a" };
      yield { type: "finish", usage, finishReason: "stop" };
      yield { type: "text-delta", text: "b" };
      yield { type: "finish", finishReason: "length" };
    })();
    expect(await drain(stream)).toEqual({ text: "ab", usage, finishReason: "length" });
  });

  it("drain still reads a stream in the old { delta, finishReason } shape (an LLM written before parts)", async () => {
    const stream = (async function* () {
      yield { delta: "a" };
      yield { delta: "b", finishReason: "length" };
    })() as unknown as LLMStream;
    expect(await drain(stream)).toEqual({ text: "ab", usage: undefined, finishReason: "length" });
  });
});
