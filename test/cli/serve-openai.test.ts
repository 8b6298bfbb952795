import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";

const DATA = fileURLToPath(new URL("../../examples/data", import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "streamdex-serve-openai-"));
  await cp(DATA, path.join(dir, "docs"), { recursive: true });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("streamdex serve: the OpenAI API", () => {
  it("answers the openai SDK at /v1, behind the token: models, a streamed question, a conversation", async () => {
    const stdout = new PassThrough();
    let out = "";
    stdout.on("data", (d) => {
      out += String(d);
    });
    const interrupt = new AbortController();
    const running = main(["serve", "--port", "0", "--data", "docs", "--token", "t0ken"], {
      stdout,
      stderr: new PassThrough(),
      env: {},
      cwd: dir,
      interrupt: interrupt.signal,
    });
    for (let i = 0; i < 400 && !/answering on (\S+) /.test(out); i++)
      await new Promise((r) => setTimeout(r, 10));
    const url = /answering on (\S+) /.exec(out)![1]!;
    expect(out).toContain("OpenAI API at /v1");
    const openai = new OpenAI({ apiKey: "t0ken", baseURL: `${url}/v1`, maxRetries: 0 });
    expect((await openai.models.list()).data.map((m) => m.id)).toEqual(["streamdex"]);

    const stream = await openai.chat.completions.create({
      model: "streamdex",
      messages: [{ role: "user", content: "What did the author do growing up?" }],
      stream: true,
    });
    let text = "";
    let sources: unknown;
    for await (const chunk of stream) {
      sources ??= (chunk as { sources?: unknown }).sources;
      text += chunk.choices[0]?.delta.content ?? "";
    }
    expect(text.length).toBeGreaterThan(20);
    expect(Array.isArray(sources) && sources.length > 0).toBe(true);

    const followUp = await openai.chat.completions.create({
      model: "streamdex",
      messages: [
        { role: "user", content: "What did the author do growing up?" },
        { role: "assistant", content: text },
        { role: "user", content: "And what did the lighthouse keeper write?" },
      ],
    });
    expect(followUp.choices[0]!.message.content!.length).toBeGreaterThan(0);
    interrupt.abort();
    expect(await running).toBe(0);
  });
});
