/**
 * Ingestion end to end: `VectorStoreIndex.fromDocuments` over ~32 MB of text (5,000 documents of ~1,000 words),
 * split with the default `SentenceSplitter` (exact cl100k counts), embedded by `OpenAIEmbedding` (1536 dims, base64)
 * from the project's fake OpenAI server in another process, stored in a `SimpleVectorStore`. Reported: seconds with
 * the default settings, and how many chunks were embedded and stored.
 *
 *   npm run bench -- ingest
 *
 * The side-by-side harness (`../shared/bench`, scenario `ingest`) measures the same shape of work against
 * LangChain.js and LlamaIndex.TS; this one tracks the project's own changes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
// The built package, as users' code runs it. `npm run bench` builds first.
import { Document, VectorStoreIndex } from "../dist/index.js";
import { OpenAIEmbedding } from "../dist/providers/openai/index.js";
import { type BenchResult, median, round } from "./bench-support.js";
import { reportCorpus } from "./report-corpus.js";

const REPS = 3;

async function startServer(): Promise<{ child: ChildProcess; baseURL: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/fake-openai-process.ts"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
  const { port } = JSON.parse(line) as { port: number };
  return { child, baseURL: `http://127.0.0.1:${port}/v1` };
}

export async function benchIngest(): Promise<BenchResult[]> {
  const documents = reportCorpus().map(
    (r) => new Document({ id: r.id, text: r.text, metadata: { report: r.report } }),
  );
  const megabytes = documents.reduce((n, d) => n + d.text.length, 0) / 2 ** 20;
  const { child, baseURL } = await startServer();
  try {
    const embedModel = new OpenAIEmbedding({ baseURL, apiKey: "sk-bench", dimensions: 1536, maxRetries: 0 });
    const seconds: number[] = [];
    let chunks = 0;
    let embedded = 0;
    for (let rep = 0; rep < REPS; rep++) {
      let inputs = 0;
      const t0 = performance.now();
      const index = await VectorStoreIndex.fromDocuments(documents, {
        embedModel,
        onProgress: (done) => {
          inputs = done;
        },
      });
      seconds.push((performance.now() - t0) / 1000);
      chunks = index.docStore.size;
      embedded = inputs;
    }
    const byDefault = median(seconds);
    const notes = `${documents.length} docs, ${round(megabytes, 1)} MB, ${chunks} chunks (${embedded} embedded); median of ${REPS}`;
    return [
      { name: "ingest: fromDocuments, default settings", value: byDefault, unit: "s", notes },
      {
        name: "ingest: goal (1.0 s) / default",
        value: 1 / byDefault,
        unit: "x",
        notes: "goal >= 1 (issue 8)",
      },
    ];
  } finally {
    child.stdin?.end();
    await once(child, "exit");
  }
}
