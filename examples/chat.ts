/**
 * Chat engines: a conversation over your documents that streams each answer and remembers earlier turns.
 * Runs offline with no key: `npx tsx examples/chat.ts`. In your project, import from "streamdex" instead of
 * "../src/index.js".
 *
 * With OPENAI_API_KEY (or OPENAI_BASE_URL, for a local OpenAI-compatible server such as Ollama) set, it uses
 * OpenAI; otherwise an offline MockLLM that says what it was shown, so you can see the conversation it gets.
 */
import { fileURLToPath } from "node:url";
import {
  ChatMemoryBuffer,
  type LLM,
  MockEmbedding,
  MockLLM,
  Settings,
  SimpleDirectoryReader,
  VectorStoreIndex,
} from "../src/index.js";

if (process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL) {
  // With a real model: import { OpenAI, OpenAIEmbedding } from "streamdex/openai";
  const { OpenAI, OpenAIEmbedding } = await import("../src/providers/openai/index.js");
  Settings.llm = new OpenAI({ model: process.env.LLM_MODEL ?? "gpt-4o-mini" });
  Settings.embedModel = new OpenAIEmbedding({ model: "text-embedding-3-small" });
} else {
  Settings.llm = offlineModel();
  Settings.embedModel = new MockEmbedding({ dimensions: 256 });
}

const documents = await new SimpleDirectoryReader().loadData(
  fileURLToPath(new URL("./data", import.meta.url)),
);
const index = await VectorStoreIndex.fromDocuments(documents, { chunkSize: 256, chunkOverlap: 32 });

// condense_plus_context (the default): follow-ups are rewritten into standalone questions for retrieval (one
// non-streamed LLM call), then the answer streams with the excerpts and the conversation.
const chat = index.asChatEngine({ streaming: true, similarityTopK: 2, systemPrompt: "Answer briefly." });

for (const message of ["What did the author do growing up?", "And what came after that?"]) {
  console.log(`\n> ${message}`);
  const res = await chat.chat(message); // resolves when the answer starts: sources are already here
  await res.printResponseStream();
  console.log(`\n  (sources: ${res.sourceNodes.map((s) => s.node.metadata.file_name).join(", ")})`);
}

// Stopping an answer (break, cancel(), or an aborted signal) aborts the model request. The memory keeps what
// was said, marked as interrupted; the model is told the answer was cut off on the next message.
console.log("\n> Tell me everything about the company.");
const long = await chat.chat("Tell me everything about the company.");
let deltas = 0;
for await (const text of long) {
  process.stdout.write(text);
  if (++deltas === 3) break;
}
console.log("\n  (stopped)");
console.log("Last turn in memory:", chat.chatHistory.at(-1));

// Memory is plain JSON: save it, restore it into another engine later.
const saved = JSON.stringify(chat.memory);
const restored = index.asChatEngine({ streaming: true, memory: ChatMemoryBuffer.fromJSON(saved) });
console.log(`\nRestored a conversation of ${restored.chatHistory.length} messages.`);

// One engine, many conversations: pass each conversation's memory per call (what `streamdex serve` does per
// conversation id). Two memories never see each other's turns.
const shared = index.asChatEngine({ chatMode: "context", streaming: true });
const alice = new ChatMemoryBuffer();
const bob = new ChatMemoryBuffer();
await (await shared.chat("Where is the office?", { memory: alice })).getResponse();
await (await shared.chat("Who founded the company?", { memory: bob })).getResponse();
console.log(`Alice's conversation: ${alice.getAll().length} messages; Bob's: ${bob.getAll().length}.`);

/** An offline stand-in for a model: it reports the last message and the first excerpt it was given. */
function offlineModel(): LLM {
  return new MockLLM({
    chunkDelayMs: 15,
    response: (prompt) => {
      if (prompt.includes("Standalone question:")) {
        return prompt.match(/Follow-up message: (.*)/)?.[1] ?? "";
      }
      const lastUser = prompt
        .match(/.*user: (.*)\n/g)
        ?.at(-1)
        ?.replace(/^.*user: /, "")
        .trim();
      const context = prompt.split("=====\n")[1] ?? "";
      const excerpt = context
        .split("\n")
        .find((l) => l.trim() !== "" && !/^\w+: /.test(l))
        ?.slice(0, 70);
      const turns = (prompt.match(/^user: /gm) ?? []).length;
      return `(offline model, turn ${turns}) You asked "${lastUser}". The best excerpt begins: "${excerpt}…"`;
    },
  });
}
