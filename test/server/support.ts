import { expect } from "vitest";
import {
  createChatEngine as buildChatEngine,
  CitationQueryEngine,
  CondenseQuestionChatEngine,
  getCitationSynthesizer,
  getResponseSynthesizer,
  type LLM,
  MockLLM,
  type MockLLMOptions,
  type NodeWithScore,
  RetrieverQueryEngine,
} from "../../src/index.js";
import {
  type ChatEngineFactory,
  type ChatEngineRequest,
  type EngineFactory,
  type EngineRequest,
  type RunningServer,
  type StartServerOptions,
  startServer,
} from "../../src/server/index.js";
import { FixedRetriever, nodes, settle } from "../support/fixtures.js";

/** A citing query engine (CitationQueryEngine) over fixed nodes, as a serve factory builds for `citations: true`. */
export function citingEngine(llm: LLM, retrieved: NodeWithScore[], request: EngineRequest) {
  return new CitationQueryEngine({
    retriever: new FixedRetriever(retrieved),
    responseSynthesizer: getCitationSynthesizer({
      streaming: request.streaming,
      responseMode: request.mode,
      llm,
    }),
  });
}

/**
 * Query and chat engine factories over one LLM and fixed nodes (the first `topK` of them); record every request.
 * Chat engines default to the `context` mode. With `citations`, the query engine is a `CitationQueryEngine`, and
 * the chat engine a `condense_question` one over it.
 */
export function engineFactory(llm: LLM, sourceNodes: NodeWithScore[] = nodes(3)) {
  const requests: EngineRequest[] = [];
  const chatRequests: ChatEngineRequest[] = [];
  const createChatEngine: ChatEngineFactory = (request) => {
    chatRequests.push(request);
    const retrieved = sourceNodes.slice(0, request.topK ?? 2);
    if (request.citations) {
      return new CondenseQuestionChatEngine({ llm, queryEngine: citingEngine(llm, retrieved, request) });
    }
    return buildChatEngine({
      chatMode: request.chatMode ?? "context",
      streaming: request.streaming,
      responseMode: request.mode,
      retriever: new FixedRetriever(sourceNodes.slice(0, request.topK ?? 2)),
      llm,
    });
  };
  const createEngine: EngineFactory = (request) => {
    requests.push(request);
    if (request.citations) return citingEngine(llm, sourceNodes.slice(0, request.topK ?? 2), request);
    return new RetrieverQueryEngine({
      retriever: new FixedRetriever(sourceNodes.slice(0, request.topK ?? 2)),
      responseSynthesizer: getResponseSynthesizer({
        streaming: request.streaming,
        responseMode: request.mode,
        llm,
      }),
    });
  };
  return { createEngine, requests, createChatEngine, chatRequests };
}

/** A server on 127.0.0.1, port 0, over a {@link MockLLM}. */
export async function mockServer(
  llmOptions: MockLLMOptions = {},
  options: Omit<StartServerOptions, "createEngine"> = {},
) {
  const llm = new MockLLM(llmOptions);
  const { createEngine, requests, createChatEngine, chatRequests } = engineFactory(llm);
  const server = await startServer({ createEngine, createChatEngine, ...options });
  return { llm, requests, chatRequests, server, url: server.url };
}

/** Closes servers opened by a test file (call in `afterEach`). */
export class Servers {
  private readonly open: RunningServer[] = [];
  track<T extends { server: RunningServer }>(s: T): T {
    this.open.push(s.server);
    return s;
  }
  async closeAll(): Promise<void> {
    await Promise.all(this.open.splice(0).map((s) => s.close()));
  }
}

/** POSTs JSON (or a raw string body) to `url`. */
export function postJson(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    ...init,
    headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export { parseSSE } from "../support/sse.js";

/** Waits until `check()` is true (polling), or fails after `ms`. */
export async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await settle(1);
  }
}

/** The JSON error body of a response. */
export async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
  const body = (await res.json()) as { error: { code: string; message: string } };
  return body.error;
}
