import { AIMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { ChatOpenAI } from "@langchain/openai";
import { afterEach, describe, expect, it } from "vitest";
import { mockServer, Servers } from "./support.js";

const servers = new Servers();
afterEach(() => servers.closeAll());

/** LangChain's ChatOpenAI pointed at a streamdex server, as a user would configure it. */
function chatModel(url: string): ChatOpenAI {
  return new ChatOpenAI({
    model: "streamdex",
    apiKey: "s3cret",
    configuration: { baseURL: `${url}/v1` },
    maxRetries: 0,
  });
}

describe("@langchain/openai ChatOpenAI against /v1/chat/completions", () => {
  it("invokes: the answer, and the usage in usage_metadata", async () => {
    const { url, requests } = servers.track(
      await mockServer({ response: "Paris is the capital." }, { token: "s3cret" }),
    );
    const message = await chatModel(url).invoke([
      new SystemMessage("Answer from the documents."),
      new HumanMessage("What is the capital of France?"),
    ]);
    expect(message.content).toBe("Paris is the capital.");
    expect(message.usage_metadata).toMatchObject({ output_tokens: 4 });
    expect(requests).toEqual([{ topK: undefined, mode: undefined, streaming: false, citations: false }]);
  });

  it("streams one chunk per model chunk, with the usage at the end", async () => {
    const { url } = servers.track(
      await mockServer({ response: "Paris is the capital." }, { token: "s3cret" }),
    );
    const texts: string[] = [];
    let usage: unknown;
    for await (const chunk of await chatModel(url).stream([new HumanMessage("Capital?")])) {
      if (typeof chunk.content === "string" && chunk.content !== "") texts.push(chunk.content);
      if (chunk.usage_metadata) usage = chunk.usage_metadata;
    }
    expect(texts).toEqual(["Paris", " is", " the", " capital."]);
    expect(usage).toMatchObject({ output_tokens: 4, total_tokens: expect.any(Number) });
  });

  // Not `invoke` on a `streaming: true` model: ChatOpenAI then counts tokens with tiktoken, whose ranks it
  // downloads (the test would wait on the network).
  it("sends the conversation, invoked and streamed: the chat engine condenses it", async () => {
    const { url, chatRequests, llm } = servers.track(
      await mockServer(
        { response: (_, i) => (i % 2 === 0 ? "Where does Ada live?" : "In Lyon.") },
        { token: "s3cret" },
      ),
    );
    const conversation = [
      new HumanMessage("Who is Ada?"),
      new AIMessage("An engineer."),
      new HumanMessage("Where does she live?"),
    ];
    const message = await chatModel(url).invoke(conversation);
    expect(message.content).toBe("In Lyon.");
    let streamed = "";
    for await (const chunk of await chatModel(url).stream(conversation)) streamed += chunk.content;
    expect(streamed).toBe("In Lyon.");
    expect(chatRequests).toMatchObject([
      { chatMode: "condense_plus_context", streaming: false },
      { chatMode: "condense_plus_context", streaming: true },
    ]);
    expect(llm.calls[0]!.prompt).toContain("An engineer.");
  });
});
