import OpenAI from "openai";
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from "openai/resources/chat/completions";
import { afterEach, describe, expect, it } from "vitest";
import { MockLLM } from "../../src/index.js";
import { createFetchHandler } from "../../src/server/index.js";
import { engineFactory, mockServer, postJson, Servers, until } from "./support.js";

const servers = new Servers();
afterEach(() => servers.closeAll());

const ANSWER = "Paris is the capital of France.";
const WORDS = ["Paris", " is", " the", " capital", " of", " France."];

/** The official SDK pointed at a streamdex server, with no retries (so a 429 is seen as it is). */
function client(url: string, apiKey = "unused"): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0 });
}

/** The fields streamdex adds to OpenAI's chunk (`sources` on the first, `citations` where completed). */
type Extended = ChatCompletionChunk & {
  sources?: { id: string; score: number; text: string; number?: number }[];
  citations?: { marker: number; nodeId: string | null; start: number; end: number }[];
};

/** `data:` payloads of an OpenAI event stream, `[DONE]` kept as a string. */
function dataLines(body: string): unknown[] {
  return body
    .split("\n\n")
    .filter(Boolean)
    .map((block) => {
      expect(block.startsWith("data: ")).toBe(true);
      const data = block.slice("data: ".length);
      return data === "[DONE]" ? data : JSON.parse(data);
    });
}

describe("POST /v1/chat/completions with the openai SDK", () => {
  it("streams OpenAI's chunks in order: the role with the sources, one delta per model chunk, finish, usage", async () => {
    const { url, llm, requests, chatRequests } = servers.track(await mockServer({ response: ANSWER }));
    const stream = await client(url).chat.completions.create({
      model: "streamdex",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "What is the capital of France?" },
      ],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2, // accepted and ignored
    });
    const chunks: Extended[] = [];
    for await (const chunk of stream) chunks.push(chunk as Extended);

    const first = chunks[0]!;
    expect(first.object).toBe("chat.completion.chunk");
    expect(first.model).toBe("streamdex");
    expect(first.id).toMatch(/^chatcmpl-/);
    expect(first.choices).toEqual([
      { index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null },
    ]);
    expect(first.sources?.map((s) => s.id)).toEqual(["n0", "n1"]);
    expect(first.sources?.[0]?.text).toContain("chunk0");
    const content = chunks.slice(1, -2);
    expect(content.map((c) => c.choices[0]!.delta.content)).toEqual(WORDS);
    expect(content.every((c) => c.sources === undefined && c.choices[0]!.finish_reason === null)).toBe(true);
    expect(chunks.at(-2)!.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]);
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toEqual({
      prompt_tokens: expect.any(Number),
      completion_tokens: WORDS.length,
      total_tokens: usage.usage!.prompt_tokens + WORDS.length,
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    // One user message: the query engine answered it (no chat engine, no condense call).
    expect(requests).toEqual([{ topK: undefined, mode: undefined, streaming: true, citations: false }]);
    expect(chatRequests).toEqual([]);
    expect(llm.calls).toHaveLength(1);
    expect(llm.calls[0]!.prompt).toContain("What is the capital of France?");
  });

  it("is OpenAI's exact wire format: usage: null on every chunk with include_usage, then [DONE]", async () => {
    const { url } = servers.track(await mockServer({ response: "a b" }));
    const res = await postJson(`${url}/v1/chat/completions`, {
      model: "streamdex",
      messages: [{ role: "user", content: "q" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const lines = dataLines(await res.text());
    expect(lines.at(-1)).toBe("[DONE]");
    const chunks = lines.slice(0, -1) as Record<string, unknown>[];
    expect(chunks).toHaveLength(5); // role, "a", " b", finish, usage
    for (const c of chunks.slice(0, -1)) expect(c).toHaveProperty("usage", null);
    expect(Object.keys(chunks[1]!)).toEqual([
      "id",
      "object",
      "created",
      "model",
      "system_fingerprint",
      "choices",
      "usage",
    ]);
    expect(chunks[1]!.choices).toEqual([
      { index: 0, delta: { content: "a" }, logprobs: null, finish_reason: null },
    ]);

    // Without include_usage: no usage field and no usage chunk.
    const plain = await postJson(`${url}/v1/chat/completions`, {
      messages: [{ role: "user", content: [{ type: "text", text: "q" }] }],
      stream: true,
    });
    const plainChunks = dataLines(await plain.text());
    expect(plainChunks).toHaveLength(5); // role, "a", " b", finish, [DONE]
    expect(plainChunks.slice(0, -1).every((c) => !Object.hasOwn(c as object, "usage"))).toBe(true);
  });

  it("streams a reasoning model's reasoning in delta.reasoning_content, counted in reasoning_tokens", async () => {
    const { url } = servers.track(
      await mockServer({ response: "Paris.", reasoning: "France's capital is Paris." }),
    );
    const stream = await client(url).chat.completions.create({
      model: "streamdex",
      messages: [{ role: "user", content: "Capital?" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const deltas: { reasoning_content?: string; content?: string | null }[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      if (chunk.choices[0]) deltas.push(chunk.choices[0].delta as (typeof deltas)[number]);
      else usage = chunk.usage;
    }
    expect(deltas[0]).toEqual({ role: "assistant", content: "" });
    expect(deltas.slice(1, 5)).toEqual([
      { reasoning_content: "France's" },
      { reasoning_content: " capital" },
      { reasoning_content: " is" },
      { reasoning_content: " Paris." },
    ]);
    expect(deltas[5]).toEqual({ content: "Paris." });
    expect(usage?.completion_tokens_details?.reasoning_tokens).toBe(4);
    expect(usage?.completion_tokens).toBe(5);
  });

  it("answers stream: false with a chat.completion object (sources, usage, reasoning_content)", async () => {
    const { url, requests } = servers.track(await mockServer({ response: ANSWER, reasoning: "Easy." }));
    const completion = await client(url).chat.completions.create({
      model: "streamdex",
      messages: [{ role: "user", content: "What is the capital of France?" }],
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices).toEqual([
      {
        index: 0,
        message: { role: "assistant", content: ANSWER, refusal: null, reasoning_content: "Easy." },
        logprobs: null,
        finish_reason: "stop",
      },
    ]);
    expect(completion.usage).toMatchObject({
      completion_tokens: WORDS.length + 1,
      completion_tokens_details: { reasoning_tokens: 1 },
    });
    expect((completion as unknown as Extended).sources?.map((s) => s.id)).toEqual(["n0", "n1"]);
    expect(requests[0]!.streaming).toBe(false);
  });

  it("answers a conversation with a condense_plus_context chat engine seeded with the earlier messages", async () => {
    const llm = new MockLLM({ response: (_, i) => (i === 0 ? "Where does Ada live?" : "In Lyon.") });
    const { createEngine, createChatEngine, chatRequests, requests } = engineFactory(llm);
    const { startServer } = await import("../../src/server/index.js");
    const server = servers.track({ server: await startServer({ createEngine, createChatEngine }) }).server;
    const stream = await client(server.url).chat.completions.create({
      model: "streamdex",
      stream: true,
      messages: [
        { role: "system", content: "ignored" },
        { role: "user", content: "Tell me about Ada." },
        { role: "assistant", content: "Ada is an engineer." },
        { role: "user", content: "Where does she live?" },
      ],
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("In Lyon.");
    expect(requests).toEqual([]);
    expect(chatRequests).toEqual([
      {
        topK: undefined,
        mode: undefined,
        chatMode: "condense_plus_context",
        streaming: true,
        citations: false,
      },
    ]);
    // The condense call saw the history; the system message was left out.
    expect(llm.calls[0]!.prompt).toContain("Ada is an engineer.");
    expect(llm.calls[0]!.prompt).toContain("Where does she live?");
    expect(llm.calls[0]!.prompt).not.toContain("ignored");
    expect(llm.calls).toHaveLength(2); // the condense call, then the answer over the whole conversation
    expect(llm.calls[1]!.prompt).toContain("assistant: Ada is an engineer.\nuser: Where does she live?");
  });

  it("cites on request (citations: true): numbered sources first, each citation on the delta that completes it", async () => {
    const { url, requests } = servers.track(await mockServer({ response: "Paris [1] is big [2][9]." }));
    const params = {
      model: "streamdex",
      messages: [{ role: "user" as const, content: "Capital?" }],
      stream: true as const,
      citations: true,
    };
    const stream = await client(url).chat.completions.create(params as ChatCompletionCreateParamsStreaming);
    const chunks: Extended[] = [];
    for await (const chunk of stream) chunks.push(chunk as Extended);
    expect(requests[0]!.citations).toBe(true);
    const sources = chunks[0]!.sources!;
    expect(sources.map((s) => s.number)).toEqual([1, 2]);
    const cited = chunks.filter((c) => c.citations);
    expect(cited.map((c) => c.choices[0]!.delta.content)).toEqual([" [1]", " [2][9]."]);
    expect(cited[0]!.citations).toEqual([{ marker: 1, nodeId: sources[0]!.id, start: 6, end: 9 }]);
    expect(cited[1]!.citations).toEqual([
      { marker: 2, nodeId: sources[1]!.id, start: 17, end: 20 },
      { marker: 9, nodeId: null, start: 20, end: 23 },
    ]);
    // Text deltas stay one per model chunk.
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "");
    expect(text.filter(Boolean)).toEqual(["Paris", " [1]", " is", " big", " [2][9]."]);

    // Not streamed: the citations in a top-level array.
    const json = await client(url).chat.completions.create({
      ...params,
      stream: false,
    } as ChatCompletionCreateParamsNonStreaming);
    expect((json as unknown as Extended).citations?.map((c) => c.marker)).toEqual([1, 2, 9]);
  });

  it("cites in a conversation through condense_question", async () => {
    const { url, chatRequests } = servers.track(await mockServer({ response: "Paris [1]." }));
    const params = {
      model: "streamdex",
      messages: [
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello" },
        { role: "user", content: "Capital?" },
      ],
      citations: true,
    };
    const completion = await client(url).chat.completions.create(
      params as ChatCompletionCreateParamsNonStreaming,
    );
    expect(chatRequests[0]).toMatchObject({ chatMode: "condense_question", citations: true });
    expect((completion as unknown as Extended).citations?.map((c) => c.marker)).toEqual([1]);
  });

  it("adds a markdown Sources footer to the content when asked (sources_footer), streamed and not", async () => {
    const { url } = servers.track(await mockServer({ response: "Paris." }));
    const params = {
      model: "streamdex",
      messages: [{ role: "user", content: "Capital?" }],
      sources_footer: true,
    };
    const completion = await client(url).chat.completions.create(
      params as ChatCompletionCreateParamsNonStreaming,
    );
    const content = completion.choices[0]!.message.content!;
    expect(content).toBe(
      'Paris.\n\n**Sources**\n\n- [1] n0: "chunk0 word word word word word"\n- [2] n1: "chunk1 word word word word word"\n',
    );
    const stream = await client(url).chat.completions.create({
      ...params,
      stream: true,
    } as ChatCompletionCreateParamsStreaming);
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe(content);
  });

  it("aborts the model request when the client leaves mid-stream, and frees the stream slot", async () => {
    const { url, llm } = servers.track(
      await mockServer({ response: "a b c d e f g h i j", chunkDelayMs: 30 }, { maxConcurrentStreams: 1 }),
    );
    const stream = await client(url).chat.completions.create({
      model: "streamdex",
      messages: [{ role: "user", content: "q" }],
      stream: true,
    });
    let seen = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content && ++seen === 2) break; // the SDK aborts its request
    }
    await until(() => llm.calls[0]?.aborted === true);
    expect(llm.calls[0]!.finished).toBe(false);
    expect(llm.calls[0]!.chunksProduced).toBeLessThan(10);
    // The one slot is free again.
    let status = 429;
    for (let i = 0; i < 100 && status === 429; i++) {
      const res = await postJson(`${url}/v1/chat/completions`, {
        messages: [{ role: "user", content: "q" }],
      });
      status = res.status;
      await res.body?.cancel();
    }
    expect(status).toBe(200);
  });

  it("aborts the model request when the client leaves before the answer starts", async () => {
    const { url, llm } = servers.track(await mockServer({ response: "a b", acceptDelayMs: 10_000 }));
    const controller = new AbortController();
    const pending = client(url).chat.completions.create(
      { model: "streamdex", messages: [{ role: "user", content: "q" }], stream: true },
      { signal: controller.signal },
    );
    await until(() => llm.calls.length === 1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await until(() => llm.calls[0]!.aborted);
  });

  it("sends an error chunk then [DONE] when the model fails mid-stream; the SDK throws it as an APIError", async () => {
    const { url } = servers.track(await mockServer({ response: "a b c d", failAfterChunks: 2 }));
    const stream = await client(url).chat.completions.create({
      model: "streamdex",
      messages: [{ role: "user", content: "q" }],
      stream: true,
    });
    const text: string[] = [];
    const error = await (async () => {
      try {
        for await (const chunk of stream) text.push(chunk.choices[0]?.delta.content ?? "");
      } catch (e) {
        return e;
      }
    })();
    expect(text).toEqual(["", "a", " b"]);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).type).toBe("server_error");
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe("stream_interrupted");

    const raw = dataLines(
      await (
        await postJson(`${url}/v1/chat/completions`, {
          messages: [{ role: "user", content: "q" }],
          stream: true,
        })
      ).text(),
    );
    expect(raw.slice(-2)).toEqual([
      {
        error: {
          message: expect.stringContaining("simulated failure"),
          type: "server_error",
          param: null,
          code: "stream_interrupted",
        },
      },
      "[DONE]",
    ]);
  });
});

describe("models", () => {
  it("lists the configured models in OpenAI's format, and each selects its engine settings", async () => {
    const { url, requests } = servers.track(
      await mockServer(
        { response: "ok [1]" },
        {
          openai: {
            models: {
              streamdex: {},
              "docs-cited": { topK: 1, mode: "refine", citations: true, ownedBy: "acme" },
            },
          },
        },
      ),
    );
    const openai = client(url);
    const list = [];
    for await (const model of openai.models.list()) list.push(model);
    expect(list).toEqual([
      { id: "streamdex", object: "model", created: expect.any(Number), owned_by: "streamdex" },
      { id: "docs-cited", object: "model", created: expect.any(Number), owned_by: "acme" },
    ]);
    expect((await openai.models.retrieve("docs-cited")).owned_by).toBe("acme");
    await expect(openai.models.retrieve("nope")).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    const completion = await openai.chat.completions.create({
      model: "docs-cited",
      messages: [{ role: "user", content: "q" }],
    });
    expect(completion.model).toBe("docs-cited");
    expect(requests.at(-1)).toEqual({ topK: 1, mode: "refine", streaming: false, citations: true });
    expect((completion as unknown as Extended).citations).toHaveLength(1);
    // No model: the default (the first).
    await postJson(`${url}/v1/chat/completions`, { messages: [{ role: "user", content: "q" }] });
    expect(requests.at(-1)).toMatchObject({ topK: undefined, citations: false });
  });
});

describe("createFetchHandler", () => {
  it("serves the OpenAI API too", async () => {
    const { createEngine } = engineFactory(new MockLLM({ response: "a b" }));
    const handler = createFetchHandler({ createEngine, token: "t0ken" });
    const openai = new OpenAI({
      apiKey: "t0ken",
      baseURL: "http://streamdex.test/v1",
      maxRetries: 0,
      fetch: (input, init) => handler(new Request(input, init)),
    });
    const stream = await openai.chat.completions.create({
      model: "streamdex",
      messages: [{ role: "user", content: "q" }],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("a b");
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["streamdex"]);
  });
});
