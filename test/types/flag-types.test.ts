import { describe, expectTypeOf, it } from "vitest";
import { RetrieverQueryEngine } from "../../src/engines/retriever-query-engine.js";
import { MockLLM } from "../../src/llms/mock-llm.js";
import type { Response } from "../../src/schema/response.js";
import type { StreamingResponse } from "../../src/schema/streaming-response.js";
import { getResponseSynthesizer } from "../../src/synthesizers/get-response-synthesizer.js";
import { FixedRetriever } from "../support/fixtures.js";

describe("types follow the streaming flag (no casts in user code)", () => {
  it("a streaming synthesizer makes query() resolve to StreamingResponse, otherwise to Response", () => {
    const llm = new MockLLM();
    const retriever = new FixedRetriever([]);
    const streaming = new RetrieverQueryEngine({
      retriever,
      responseSynthesizer: getResponseSynthesizer({ streaming: true, llm }),
    });
    expectTypeOf(streaming.query).returns.resolves.toEqualTypeOf<StreamingResponse>();
    const plain = new RetrieverQueryEngine({
      retriever,
      responseSynthesizer: getResponseSynthesizer({ llm }),
    });
    expectTypeOf(plain.query).returns.resolves.toEqualTypeOf<Response>();
    const dflt = new RetrieverQueryEngine({ retriever });
    expectTypeOf(dflt.query).returns.resolves.toEqualTypeOf<Response>();
  });
});
