/**
 * Writing OpenAI embedding request bodies: streamdex's byte writer (`encodeEmbeddingsBody`, texts JSON-escaped in
 * WebAssembly) against `JSON.stringify` plus UTF-8 encoding (what the SDK and the socket would otherwise do), on
 * the ingest benchmark's chunks (10,000 texts, ~28 MB) in batches of 256 as `OpenAIEmbedding` sends them.
 *
 *   npm run bench -- request
 */
import { SentenceSplitter } from "../src/ingestion/splitters/sentence-splitter.js";
import {
  type EmbeddingsRequestBody,
  encodeEmbeddingsBody,
} from "../src/providers/openai/embeddings-request.js";
import { Document, MetadataMode } from "../src/schema/node.js";
import { type BenchResult, median, round } from "./bench-support.js";
import { reportCorpus } from "./report-corpus.js";

const BATCH = 256;
const REPS = 7;

export async function benchRequestBody(): Promise<BenchResult[]> {
  const documents = reportCorpus().map(
    (r) => new Document({ id: r.id, text: r.text, metadata: { report: r.report } }),
  );
  const texts = new SentenceSplitter()
    .getNodesFromDocuments(documents)
    .map((node) => node.getContent(MetadataMode.EMBED));
  const bodies: EmbeddingsRequestBody[] = [];
  for (let i = 0; i < texts.length; i += BATCH) {
    bodies.push({
      model: "text-embedding-3-small",
      input: texts.slice(i, i + BATCH),
      encoding_format: "base64",
      dimensions: 1536,
    });
  }
  let bytes = 0;
  for (const body of bodies) {
    const written = encodeEmbeddingsBody(body);
    if (!written.equals(Buffer.from(JSON.stringify(body))))
      throw new Error("the byte writer differs from JSON");
    bytes += written.length;
  }
  const time = (write: (body: EmbeddingsRequestBody) => Uint8Array): number => {
    const t0 = performance.now();
    for (const body of bodies) write(body);
    return performance.now() - t0;
  };
  const json: number[] = [];
  const writer: number[] = [];
  for (let r = 0; r < REPS; r++) {
    json.push(time((body) => Buffer.from(JSON.stringify(body))));
    writer.push(time(encodeEmbeddingsBody));
  }
  const notes = `${texts.length} texts, ${round(bytes / 1e6, 1)} MB in ${bodies.length} bodies; median of ${REPS}`;
  return [
    { name: "request body: JSON.stringify + UTF-8", value: round(median(json)), unit: "ms", notes },
    { name: "request body: byte writer", value: round(median(writer)), unit: "ms", notes },
    {
      name: "request body: byte writer / JSON.stringify",
      value: median(writer) / median(json),
      unit: "x",
      notes: "below 1 = faster",
    },
  ];
}
