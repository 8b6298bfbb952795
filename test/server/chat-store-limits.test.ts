import { afterEach, describe, expect, it } from "vitest";
import { type ChatStore, InMemoryChatStore, InvalidArgumentError, MockLLM } from "../../src/index.js";
import { startServer } from "../../src/server/index.js";
import { engineFactory, errorOf, postJson, Servers } from "./support.js";

const servers = new Servers();
afterEach(() => servers.closeAll());

async function chatServer(chatStore: ChatStore) {
  const llm = new MockLLM({ response: (p) => `re: ${p.split("\n").at(-2)?.replace("user: ", "")}` });
  const server = await startServer({ ...engineFactory(llm), defaultChatMode: "simple", chatStore });
  servers.track({ server });
  const send = (message: string, conversationId = "c") =>
    postJson(`${server.url}/api/chat`, { message, conversationId, stream: false });
  return { llm, send };
}

describe("the in-memory ChatStore's limits", () => {
  it("a conversation unused for ttlMs starts anew, and is forgotten lazily (no timer)", async () => {
    const store = new InMemoryChatStore({ ttlMs: 100 });
    const { llm, send } = await chatServer(store);
    await (await send("remember me")).json();
    await (await send("other", "d")).json();
    expect(store.size).toBe(2);
    await new Promise((r) => setTimeout(r, 150));
    expect(await store.getTurns("c")).toBeUndefined();
    await (await send("who am I?")).json();
    expect(llm.calls.at(-1)!.prompt).not.toContain("remember me");
    expect(store.size).toBe(1); // "d" was swept when "c" was opened again
    expect((await store.getTurns("c"))!.map((t) => t.content)).toEqual(["who am I?", "re: who am I?"]);
  });

  it("a message beyond maxTurns or maxBytes is 413 conversation_full, naming the cap; nothing is written", async () => {
    const store = new InMemoryChatStore({ maxTurns: 4, maxBytes: 1000 });
    const { llm, send } = await chatServer(store);
    expect((await send("one")).status).toBe(200);
    expect((await send("two")).status).toBe(200);
    const full = await send("three");
    expect(full.status).toBe(413);
    const error = await errorOf(full);
    expect(error.code).toBe("conversation_full");
    expect(error.message).toMatch(
      /holds 4 messages.*at most 4 messages per conversation \(maxTurns\).*new conversation/,
    );
    expect(llm.calls).toHaveLength(2);
    expect(await store.getTurns("c")).toHaveLength(4);
    const big = await send("x".repeat(1001), "big");
    expect(big.status).toBe(413);
    expect((await errorOf(big)).message).toMatch(/at most 1000 bytes.*\(maxBytes\)/);
    expect(await store.getTurns("big")).toBeUndefined();
  });

  it("checks its options, and the server checks chatStore", async () => {
    expect(() => new InMemoryChatStore({ ttlMs: 0 })).toThrow(InvalidArgumentError);
    expect(() => new InMemoryChatStore({ maxTurns: 1.5 })).toThrow(/maxTurns.*positive integer/);
    await expect(
      startServer({ ...engineFactory(new MockLLM()), chatStore: {} as ChatStore }),
    ).rejects.toThrow(/chatStore/);
  });
});
