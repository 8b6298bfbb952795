import { Embeddings } from "@langchain/core/embeddings";
import { FakeEmbeddings, SyntheticEmbeddings } from "@langchain/core/utils/testing";
import { OpenAIEmbeddings } from "@langchain/openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AbortError, AuthenticationError, InvalidArgumentError } from "../../../src/index.js";
import { LangChainEmbedding } from "../../../src/providers/langchain/index.js";
import { type FakeOpenAIServer, startFakeOpenAI } from "../../support/fake-openai/server.js";
import { expectNoSecret } from "./secret-leaks.js";

/** Records which method embedded what. */
class RecordingEmbeddings extends Embeddings {
  calls: string[] = [];
  constructor() {
    super({});
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.calls.push(`docs:${texts.length}`);
    return texts.map((t) => [t.length, 1]);
  }
  async embedQuery(text: string): Promise<number[]> {
    this.calls.push("query");
    return [text.length, 2];
  }
}

describe("LangChainEmbedding", () => {
  it("documents through embedDocuments (batched), queries through embedQuery, as Float32Array", async () => {
    const lc = new RecordingEmbeddings();
    const embed = new LangChainEmbedding({ embeddings: lc, embedBatchSize: 2 });
    const vectors = await embed.getTextEmbeddings(["a", "bb", "ccc"]);
    expect(vectors.map((v) => [...v])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    expect(vectors[0]).toBeInstanceOf(Float32Array);
    expect(lc.calls).toEqual(["docs:2", "docs:1"]);
    expect([...(await embed.getQueryEmbedding("four"))]).toEqual([4, 2]);
    expect(lc.calls.at(-1)).toBe("query");
  });

  it("wraps LangChain's own test embeddings", async () => {
    const embed = new LangChainEmbedding(new SyntheticEmbeddings({ vectorSize: 8 }));
    expect((await embed.getTextEmbedding("hello")).length).toBe(8);
    expect((await new LangChainEmbedding(new FakeEmbeddings()).getQueryEmbedding("q")).length).toBe(4);
  });

  it("rejects non-embeddings and honours an aborted signal", async () => {
    expect(() => new LangChainEmbedding({} as never)).toThrow(InvalidArgumentError);
    expect(() => new LangChainEmbedding({ embeddings: { embedQuery: () => [] } } as never)).toThrow(
      /embedDocuments/,
    );
    const ac = new AbortController();
    ac.abort();
    await expect(
      new LangChainEmbedding(new RecordingEmbeddings()).getTextEmbedding("x", { signal: ac.signal }),
    ).rejects.toBeInstanceOf(AbortError);
  });

  describe("with @langchain/openai OpenAIEmbeddings over real HTTP", () => {
    let server: FakeOpenAIServer;
    beforeAll(async () => {
      server = await startFakeOpenAI();
    });
    afterAll(() => server.close());
    const KEY = "sk-" + "test-abcdefghijklmnopqrstuvwxyz012345";
    const model = () =>
      new OpenAIEmbeddings({
        model: "text-embedding-3-small",
        apiKey: KEY,
        configuration: { baseURL: server.baseURL },
        maxRetries: 0,
      });

    it("embeds, and a 401 is a typed error without the key", async () => {
      const embed = new LangChainEmbedding(model());
      const vectors = await embed.getTextEmbeddings(["one", "two"]);
      expect(vectors).toHaveLength(2);
      expect(vectors[0]!.length).toBeGreaterThan(0);
      server.configure({ status: 401, echoKeyInError: true });
      const err = await embed.getQueryEmbedding("q").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthenticationError);
      expect((err as Error).message).not.toContain(KEY);
    });

    it("a 401 that echoes the key keeps it out of the whole error, cause included", async () => {
      server.configure({ status: 401, echoKeyInError: true });
      const err = await new LangChainEmbedding(model()).getTextEmbeddings(["a"]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthenticationError);
      expect((err as AuthenticationError).status).toBe(401);
      expect((err as Error).message).toMatch(
        /OpenAIEmbeddings embedDocuments was refused \(401\).*Check the model's API key/,
      );
      expect(((err as Error).cause as Error).message).toMatch(/Incorrect API key provided: \[redacted\]/);
      expectNoSecret(err, KEY);
    });
  });
});
