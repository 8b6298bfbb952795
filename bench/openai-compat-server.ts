/**
 * A streamdex server in a process of its own for the OpenAI-compatibility benchmark: one MockLLM-backed query
 * engine (an answer of N one-word chunks, no delays; N the first argument, default 1000) behind `/api/query` and `/v1/chat/completions`, and
 * `GET /__cpu`, the process's CPU time so far (µs), so that the benchmark measures the server alone. Prints
 * `{"port":N}` once listening; stops on stdin end.
 *
 *   npx tsx bench/openai-compat-server.ts 1000
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { RetrieverQueryEngine } from "../src/engines/retriever-query-engine.js";
import { MockLLM } from "../src/llms/mock-llm.js";
import { createRequestHandler } from "../src/server/index.js";
import { getResponseSynthesizer } from "../src/synthesizers/get-response-synthesizer.js";
import { FixedRetriever, nodes } from "../test/support/fixtures.js";

/** Words (one model chunk each) of every answer: the first argument. */
const WORDS = Number(process.argv[2] ?? 1000);

const llm = new MockLLM({ response: Array.from({ length: WORDS }, (_, i) => `w${i % 97}`).join(" ") });
const retriever = new FixedRetriever(nodes(2, 40));
const handler = createRequestHandler({
  createEngine: ({ streaming, mode }) =>
    new RetrieverQueryEngine({
      retriever,
      responseSynthesizer: getResponseSynthesizer({ streaming, responseMode: mode, llm }),
    }),
  maxConcurrentStreams: 1000,
});
const server = createServer((req, res) => {
  if (req.url === "/__cpu") {
    const { user, system } = process.cpuUsage();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ us: user + system }));
    return;
  }
  void handler(req, res);
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.stdin.resume();
process.stdin.on("end", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
