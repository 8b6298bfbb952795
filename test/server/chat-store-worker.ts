/**
 * One server process of `chat-store-processes.test.ts`, started with `node --import tsx <this file> <postgres url>`:
 * `streamdex`'s server over a MockLLM in `simple` chat mode, with its conversations in a `PgChatStore` at the URL.
 * The answer names the history the model saw: `re: <message> [history: <earlier user messages>]`, and a message
 * that starts with "slow" gets 80 more words; chunks come `CHUNK_DELAY_MS` apart (env, default 0). Prints
 * `url <url>`, logs to stderr, and serves until its stdin closes.
 */
import { createChatEngine, getResponseSynthesizer, MockLLM, RetrieverQueryEngine } from "../../src/index.js";
import { startServer } from "../../src/server/index.js";
import { PgChatStore } from "../../src/storage/vector-store/pgvector/index.js";
import { FixedRetriever } from "../support/fixtures.js";

const url = process.argv[2]!;
const userLines = (prompt: string) => [...prompt.matchAll(/^user: (.*)$/gm)].map((m) => m[1]!);
const llm = new MockLLM({
  response: (prompt) => {
    const users = userLines(prompt);
    const last = users.at(-1) ?? "";
    const words = last.startsWith("slow") ? ` ${"word ".repeat(80).trim()}` : "";
    return `re: ${last} [history: ${users.slice(0, -1).join(" | ")}]${words}`;
  },
  chunkDelayMs: Number(process.env.CHUNK_DELAY_MS ?? 0),
});
const chatStore = new PgChatStore({ connectionString: url });
const server = await startServer({
  createEngine: ({ streaming }) =>
    new RetrieverQueryEngine({
      retriever: new FixedRetriever([]),
      responseSynthesizer: getResponseSynthesizer({ streaming, llm }),
    }),
  createChatEngine: ({ streaming }) => createChatEngine({ chatMode: "simple", streaming, llm }),
  chatStore,
  logger: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`url ${server.url}\n`);
process.stdin.resume();
process.stdin.on("end", async () => {
  await server.close();
  await chatStore.close();
  process.exit(0);
});
