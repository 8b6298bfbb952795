// The AI SDK's resume path, with the real `ai` package as the client: AbstractChat.resumeStream() (what
// useChat({ resume: true }) calls on mount) over DefaultChatTransport.reconnectToStream, which GETs
// /api/chat/:chatId/stream.
import { AbstractChat, type ChatState, type ChatStatus, DefaultChatTransport, type UIMessage } from "ai";
import { afterEach, describe, expect, it } from "vitest";
import { mockServer, Servers, until } from "./support.js";

const servers = new Servers();
afterEach(() => servers.closeAll());

class PlainChatState implements ChatState<UIMessage> {
  status: ChatStatus = "ready";
  error: Error | undefined = undefined;
  messages: UIMessage[];
  constructor(messages: UIMessage[] = []) {
    this.messages = messages;
  }
  pushMessage = (message: UIMessage) => void this.messages.push(message);
  popMessage = () => void this.messages.pop();
  replaceMessage = (index: number, message: UIMessage) => {
    this.messages[index] = message;
  };
  snapshot = <T>(thing: T): T => structuredClone(thing);
}

type Fetch = typeof fetch;

/** The AI SDK's chat client, as `useChat({ id, transport: new DefaultChatTransport({ api, fetch }) })` sets it up. */
class Chat extends AbstractChat<UIMessage> {
  readonly chatState: PlainChatState;
  constructor(api: string, id: string, options: { fetch?: Fetch; messages?: UIMessage[] } = {}) {
    const state = new PlainChatState(options.messages);
    super({ id, transport: new DefaultChatTransport({ api, fetch: options.fetch }), state });
    this.chatState = state;
  }
}

/**
 * A fetch whose first POST's body breaks, as a dropped connection does, once `deltas` text deltas came through
 * (the bytes after them, maybe half an event, are lost): the client sees a network `TypeError`, the server a
 * closed connection.
 */
function droppingFetch(deltas: number): Fetch {
  let armed = true;
  return async (input, init) => {
    const res = await fetch(input, init);
    if (!armed || init?.method !== "POST" || !res.body) return res;
    armed = false;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let seen = "";
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        seen += decoder.decode(value, { stream: true });
        if ((seen.match(/"type":"text-delta"/g) ?? []).length < deltas) return controller.enqueue(value);
        controller.enqueue(value.slice(0, Math.max(1, value.length - 7))); // a torn last event
        await reader.cancel();
        controller.error(new TypeError("network error"));
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

const WORDS = Array.from({ length: 60 }, (_, i) => `w${i}`);
const ANSWER = WORDS.join(" ");

const textOfMessage = (m: UIMessage | undefined) =>
  (m?.parts ?? [])
    .filter((p) => p.type === "text")
    .map((p) => (p as { text: string }).text)
    .join("");

describe("GET /api/chat/:chatId/stream, the AI SDK's resume route", () => {
  it("after a dropped connection, chat.resumeStream() rebuilds the message: complete, no text repeated", async () => {
    const { url, llm } = servers.track(await mockServer({ response: ANSWER, chunkDelayMs: 8 }));
    const chatId = "Vx3kq9mZpL2rTb7Q"; // like the AI SDK's generateId(): 16 random characters
    const chat = new Chat(`${url}/api/chat`, chatId, { fetch: droppingFetch(5) });
    await chat.sendMessage({ text: "Tell me" });
    expect(chat.status).toBe("error"); // the drop, as the client sees it
    expect(chat.error?.message).toMatch(/network/);
    const partial = textOfMessage(chat.messages.at(-1));
    expect(ANSWER.startsWith(partial)).toBe(true);
    expect(partial.length).toBeLessThan(ANSWER.length);

    await chat.resumeStream();
    expect(chat.status).toBe("ready");
    expect(chat.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    const reply = chat.messages[1]!;
    expect(textOfMessage(reply)).toBe(ANSWER);
    expect(reply.parts.filter((p) => p.type === "text")).toHaveLength(1);
    expect(reply.parts.filter((p) => p.type === "source-document")).toHaveLength(2); // not doubled
    expect(reply.metadata).toMatchObject({ answerId: expect.stringMatching(/^[\w-]{22}$/) });
    expect(llm.calls).toHaveLength(1);
    expect(llm.calls[0]).toMatchObject({ aborted: false, finished: true });

    // Read to its end now: nothing is running, the route answers 204 and the chat stays as it is.
    await chat.resumeStream();
    expect(chat.status).toBe("ready");
    expect(chat.messages).toHaveLength(2);
    expect(textOfMessage(chat.messages[1])).toBe(ANSWER);
  });

  it("a reloaded page (a new client for the same chat id) resumes the running answer from its start", async () => {
    const { url, llm } = servers.track(await mockServer({ response: ANSWER, chunkDelayMs: 8 }));
    const chatId = "r8WcN2yQe5KfJ0aZ";
    const first = new Chat(`${url}/api/chat`, chatId);
    const sending = first.sendMessage({ text: "Tell me" });
    await until(() => (llm.calls[0]?.chunksProduced ?? 0) >= 10);
    const user = structuredClone(first.messages[0]!);
    // The page reloads: the old client is gone (its connection dropped), a new one mounts with the stored messages.
    await first.stop();
    await sending;
    const reloaded = new Chat(`${url}/api/chat`, chatId, { messages: [user] });
    await reloaded.resumeStream();
    expect(reloaded.status).toBe("ready");
    expect(reloaded.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(textOfMessage(reloaded.messages[1])).toBe(ANSWER);
    expect(llm.calls).toHaveLength(1);
    expect(llm.calls[0]).toMatchObject({ aborted: false, finished: true });
  });

  it("the answer finished while the client was away: the whole message once it comes back, then 204", async () => {
    const { url, llm } = servers.track(await mockServer({ response: ANSWER, chunkDelayMs: 2 }));
    const chat = new Chat(`${url}/api/chat`, "F4dPq7sLm1VnXc0R", { fetch: droppingFetch(3) });
    await chat.sendMessage({ text: "Tell me" });
    await until(() => llm.calls[0]!.finished);
    await chat.resumeStream();
    expect(textOfMessage(chat.messages[1])).toBe(ANSWER);
    expect(chat.messages).toHaveLength(2);
    const after = await fetch(`${url}/api/chat/F4dPq7sLm1VnXc0R/stream`);
    expect(after.status).toBe(204);
  });

  it("a chat id this process does not know (new, another client's, another process's) is a 404 the chat reports", async () => {
    const { url } = servers.track(await mockServer({ response: ANSWER, chunkDelayMs: 8 }));
    const owner = new Chat(`${url}/api/chat`, "owner-chat-0000000");
    const sending = owner.sendMessage({ text: "secret question" });
    const stranger = new Chat(`${url}/api/chat`, "guessed-chat-00000");
    await stranger.resumeStream();
    expect(stranger.status).toBe("error");
    expect(stranger.error?.message).toMatch(/chat_not_found/);
    expect(stranger.messages).toEqual([]);
    await sending;
  });

  it("chat.stop() plus POST /api/chat/:chatId/stop aborts the model request at once", async () => {
    const { url, llm } = servers.track(await mockServer({ response: ANSWER, chunkDelayMs: 10 }));
    const chatId = "s7Tq2LmZ9xKcV4bN";
    const chat = new Chat(`${url}/api/chat`, chatId);
    const sending = chat.sendMessage({ text: "q" });
    await until(() => (llm.calls[0]?.chunksProduced ?? 0) >= 3);
    // What a useChat page's Stop button does when the server holds answers for resuming.
    await Promise.all([chat.stop(), fetch(`${url}/api/chat/${chatId}/stop`, { method: "POST" })]);
    await sending;
    await until(() => llm.calls[0]!.aborted, 300);
    expect(llm.calls[0]!.chunksProduced).toBeLessThan(WORDS.length);
    const resumed = await fetch(`${url}/api/chat/${chatId}/stream`);
    // Stopped, then read by nobody: its end (an `abort` chunk) is still there for a client that resumes.
    expect(resumed.status).toBe(200);
    expect(await resumed.text()).toContain('"type":"abort"');
  });
});
