import {
  type BaseRetriever,
  type FinishPart,
  type LLMStreamPart,
  type NodeWithScore,
  type RetrieveOptions,
  type StreamingResponse,
  TextNode,
} from "../../src/index.js";

/** A retriever that returns fixed nodes and counts how often it was asked. */
export class FixedRetriever implements BaseRetriever {
  calls = 0;
  lastSignal: AbortSignal | undefined;
  constructor(readonly nodes: NodeWithScore[]) {}
  async retrieve(_query: string, options: RetrieveOptions = {}): Promise<NodeWithScore[]> {
    this.calls++;
    this.lastSignal = options.signal;
    return this.nodes;
  }
}

/** `n` scored nodes with distinct, recognisable texts. */
export function nodes(n: number, words = 5): NodeWithScore[] {
  return Array.from({ length: n }, (_, i) => ({
    node: new TextNode({
      id: `n${i}`,
      text: `chunk${i} ${"word ".repeat(words).trim()}`,
      metadata: { i },
      excludedLlmMetadataKeys: ["i"],
    }),
    score: 1 - i / 10,
  }));
}

/** Reads every delta of a streaming response. */
export async function collect(res: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const d of res) out.push(d);
  return out;
}

/** The answer text of an LLM stream's parts: its text-deltas, joined. */
export function textOfParts(parts: readonly LLMStreamPart[]): string {
  return parts.map((p) => (p.type === "text-delta" ? p.text : "")).join("");
}

/** The finish parts among an LLM stream's parts. */
export function finishParts(parts: readonly LLMStreamPart[]): FinishPart[] {
  return parts.filter((p): p is FinishPart => p.type === "finish");
}

/** Waits a few macrotask turns (lets any eager producer run ahead if it were going to). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setTimeout(r, 2));
}

export type { StreamingResponse };
