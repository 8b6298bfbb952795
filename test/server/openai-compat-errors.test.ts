import OpenAI from "openai";
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import { afterEach, describe, expect, it } from "vitest";
import { mockServer, postJson, Servers, until } from "./support.js";

const servers = new Servers();
afterEach(() => servers.closeAll());

function client(url: string, apiKey = "unused"): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0 });
}

const ask = [{ role: "user", content: "q" }];

/** The OpenAI error body of a response. */
async function openAIError(res: Response) {
  expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
  const body = (await res.json()) as {
    error: { message: string; type: string; param: string | null; code: string | null };
  };
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  return body.error;
}

describe("bad input: OpenAI's 400 invalid_request_error naming the field", () => {
  const cases: [string, Record<string, unknown>, string | null, string][] = [
    ["no messages", { model: "streamdex" }, "messages", "missing_required_parameter"],
    ["messages not an array", { messages: "hi" }, "messages", "invalid_type"],
    ["empty messages", { messages: [] }, "messages", "empty_array"],
    [
      "too many messages",
      { messages: Array.from({ length: 11 }, () => ask[0]) },
      "messages",
      "array_above_max_length",
    ],
    ["a message that is not an object", { messages: [ask[0], 3] }, "messages[1]", "invalid_type"],
    [
      "a message without role",
      { messages: [{ content: "q" }] },
      "messages[0].role",
      "missing_required_parameter",
    ],
    [
      "an unknown role",
      { messages: [{ role: "wizard", content: "q" }] },
      "messages[0].role",
      "invalid_value",
    ],
    [
      "a tool message",
      { messages: [ask[0], { role: "tool", content: "42", tool_call_id: "t" }] },
      "messages[1].role",
      "unsupported_value",
    ],
    [
      "content of the wrong type",
      { messages: [{ role: "user", content: 7 }] },
      "messages[0].content",
      "invalid_type",
    ],
    [
      "a user message without content",
      { messages: [{ role: "user" }] },
      "messages[0].content",
      "missing_required_parameter",
    ],
    [
      "an image part",
      {
        messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://x/y.png" } }] }],
      },
      "messages[0].content[0].type",
      "unsupported_value",
    ],
    ["no user message", { messages: [{ role: "system", content: "s" }] }, "messages", "invalid_value"],
    [
      "an empty question",
      { messages: [{ role: "user", content: "  " }] },
      "messages[0].content",
      "empty_string",
    ],
    [
      "a question over maxQuestionChars",
      { messages: [{ role: "user", content: "x".repeat(101) }] },
      "messages[0].content",
      "string_above_max_length",
    ],
    ["n > 1", { messages: ask, n: 2 }, "n", "unsupported_value"],
    [
      "tools",
      { messages: ask, tools: [{ type: "function", function: { name: "f", parameters: {} } }] },
      "tools",
      "unsupported_parameter",
    ],
    [
      "functions",
      { messages: ask, functions: [{ name: "f", parameters: {} }] },
      "functions",
      "unsupported_parameter",
    ],
    [
      "response_format json_schema",
      { messages: ask, response_format: { type: "json_object" } },
      "response_format",
      "unsupported_value",
    ],
    ["an unknown model", { model: "gpt-4o", messages: ask }, "model", "model_not_found"],
    ["a model that is not a string", { model: 4, messages: ask }, "model", "invalid_type"],
    ["stream not a boolean", { messages: ask, stream: "yes" }, "stream", "invalid_type"],
    [
      "include_usage not a boolean",
      { messages: ask, stream: true, stream_options: { include_usage: 1 } },
      "stream_options.include_usage",
      "invalid_type",
    ],
    ["citations not a boolean", { messages: ask, citations: "yes" }, "citations", "invalid_type"],
    ["the body is an array", [] as unknown as Record<string, unknown>, null, "invalid_body"],
  ];
  it.each(cases)("%s", async (_, body, param, code) => {
    const { url, llm } = servers.track(
      await mockServer({ response: "a" }, { maxQuestionChars: 100, openai: { maxMessages: 10 } }),
    );
    const res = await postJson(`${url}/v1/chat/completions`, body);
    expect(res.status).toBe(400);
    expect(await openAIError(res)).toMatchObject({ type: "invalid_request_error", param, code });
    expect(llm.calls).toHaveLength(0);
  });

  it("the openai SDK sees a BadRequestError with the param and code", async () => {
    const { url } = servers.track(await mockServer({ response: "a" }));
    const params = { model: "streamdex", messages: ask, n: 3 } as ChatCompletionCreateParamsNonStreaming;
    const error = await client(url)
      .chat.completions.create(params)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({
      status: 400,
      param: "n",
      code: "unsupported_value",
      type: "invalid_request_error",
    });
    const unknown = await client(url)
      .chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "q" }] })
      .catch((e: unknown) => e);
    expect(unknown).toMatchObject({ status: 400, param: "model", code: "model_not_found" });
    expect((unknown as Error).message).toContain("'gpt-4o' does not exist");
  });

  it("accepts and ignores the OpenAI parameters it does not honour", async () => {
    const { url } = servers.track(await mockServer({ response: "a" }));
    const res = await postJson(`${url}/v1/chat/completions`, {
      model: "streamdex",
      messages: [{ role: "developer", content: "be brief" }, ...ask],
      temperature: 0,
      top_p: 1,
      max_tokens: 5,
      max_completion_tokens: 5,
      presence_penalty: 0,
      seed: 1,
      stop: ["\n"],
      user: "u",
      n: 1,
      tools: [],
      tool_choice: "none",
      response_format: { type: "text" },
      logprobs: false,
      some_future_parameter: { x: 1 },
    });
    expect(res.status).toBe(200);
    expect(
      ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content,
    ).toBe("a");
  });

  it("a malformed JSON body, a body over the limit (413 naming messages), a wrong content type (415)", async () => {
    const { url } = servers.track(await mockServer({ response: "a" }, { openai: { maxBodyBytes: 1000 } }));
    const bad = await postJson(`${url}/v1/chat/completions`, "{ not json");
    expect(bad.status).toBe(400);
    expect(await openAIError(bad)).toMatchObject({ type: "invalid_request_error", code: "invalid_json" });
    const huge = await postJson(`${url}/v1/chat/completions`, {
      messages: [{ role: "user", content: "x".repeat(2000) }],
    });
    expect(huge.status).toBe(413);
    expect(await openAIError(huge)).toMatchObject({ param: "messages", code: "request_too_large" });
    const form = await fetch(`${url}/v1/chat/completions`, { method: "POST", body: "messages=hi" });
    expect(form.status).toBe(415);
    expect(await openAIError(form)).toMatchObject({ type: "invalid_request_error" });
  });

  it("an unknown /v1 route is a 404 and a wrong method a 405, in OpenAI's shape", async () => {
    const { url } = servers.track(await mockServer({ response: "a" }));
    const missing = await postJson(`${url}/v1/completions`, { prompt: "q" });
    expect(missing.status).toBe(404);
    expect(await openAIError(missing)).toMatchObject({ code: "unknown_url" });
    const get = await fetch(`${url}/v1/chat/completions`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(await openAIError(get)).toMatchObject({ code: "method_not_allowed" });
  });

  it("can be turned off (openai: false): /v1 is then a plain 404", async () => {
    const { url } = servers.track(await mockServer({ response: "a" }, { openai: false }));
    const res = await postJson(`${url}/v1/chat/completions`, { messages: ask });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  it("refuses bad options at construction", async () => {
    await expect(mockServer({}, { openai: { models: {} } })).rejects.toThrow(/openai.models/);
    await expect(mockServer({}, { openai: { models: { "a b": {} } } })).rejects.toThrow(/model id/);
    await expect(mockServer({}, { openai: { defaultModel: "x" } })).rejects.toThrow(/defaultModel/);
    await expect(
      mockServer({}, { openai: { models: { m: { chatMode: "wizard" as "simple" } } } }),
    ).rejects.toThrow(/chatMode/);
  });
});

describe("CORS", () => {
  it("answers a browser's preflight and sends the CORS headers, as /api does", async () => {
    const origin = "https://chat.example";
    const { url } = servers.track(await mockServer({ response: "a" }, { cors: { origin } }));
    const preflight = await fetch(`${url}/v1/chat/completions`, { method: "OPTIONS", headers: { origin } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(origin);
    expect(preflight.headers.get("access-control-allow-methods")).toBe("POST, OPTIONS");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization");
    const models = await fetch(`${url}/v1/models`, { headers: { origin } });
    expect(models.headers.get("access-control-allow-origin")).toBe(origin);
    const other = await fetch(`${url}/v1/models`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example" },
    });
    expect(other.status).toBe(403);
  });
});

describe("auth", () => {
  it("answers 401 invalid_api_key to a wrong or missing token, on every /v1 route", async () => {
    const { url, llm } = servers.track(await mockServer({ response: "a" }, { token: "s3cret" }));
    const wrong = await client(url, "nope")
      .chat.completions.create({ model: "streamdex", messages: [{ role: "user", content: "q" }] })
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(wrong).toMatchObject({ status: 401, code: "invalid_api_key", type: "invalid_request_error" });
    await expect(client(url, "nope").models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const none = await fetch(`${url}/v1/models`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="streamdex"');
    expect(llm.calls).toHaveLength(0);

    const ok = await client(url, "s3cret").chat.completions.create({
      model: "streamdex",
      messages: [{ role: "user", content: "q" }],
    } as ChatCompletionCreateParamsNonStreaming);
    expect(ok.choices[0]!.message.content).toBe("a");
  });
});

describe("load", () => {
  it("answers 429 rate_limit_exceeded with Retry-After when the stream slots are full (shared with /api)", async () => {
    const { url, llm } = servers.track(
      // resumeWindowMs 0: the /api/query client that leaves aborts its answer at once (no resume window).
      await mockServer(
        { response: "a b c", chunkDelayMs: 10_000 },
        { maxConcurrentStreams: 2, resumeWindowMs: 0 },
      ),
    );
    const holders = [new AbortController(), new AbortController()];
    const first = await client(url).chat.completions.create(
      { model: "streamdex", messages: [{ role: "user", content: "q" }], stream: true },
      { signal: holders[0]!.signal },
    );
    const second = await postJson(`${url}/api/query`, { query: "q" }, { signal: holders[1]!.signal });
    expect(second.status).toBe(200);

    const refused = await client(url)
      .chat.completions.create({
        model: "streamdex",
        messages: [{ role: "user", content: "q" }],
        stream: true,
      })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused).toMatchObject({ status: 429, code: "rate_limit_exceeded", type: "requests" });
    expect((refused as InstanceType<typeof OpenAI.APIError>).headers?.get("retry-after")).toBe("1");
    // Bad input is still told apart first.
    expect((await postJson(`${url}/v1/chat/completions`, { messages: [] })).status).toBe(400);

    for (const h of holders) h.abort();
    void first;
    await until(() => llm.calls.length === 2 && llm.calls.every((c) => c.aborted));
  });
});
