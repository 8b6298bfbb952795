/**
 * Streaming answers over documents whose nodes and vectors live in Postgres with pgvector. In your project,
 * import from "streamdex" and "streamdex/pgvector" instead of "../src/…".
 *
 *   DATABASE_URL=postgres://user:pass@localhost:5432/app npx tsx examples/pgvector.ts "Where is the office?"
 *   PG_DATA_DIR=./.streamdex-pg npx tsx examples/pgvector.ts    # embedded: in-process PGlite, kept on disk
 *   npx tsx examples/pgvector.ts                                # embedded, in memory
 *
 * With DATABASE_URL it needs `npm install pg` and a server with pgvector (`CREATE EXTENSION vector`); otherwise
 * `npm install @electric-sql/pglite @electric-sql/pglite-pgvector`. The documents are indexed on the first run
 * only: later runs (same database) answer straight from the table, with no docstore.
 */
import { fileURLToPath } from "node:url";
import {
  ExtractiveLLM,
  MockEmbedding,
  SimpleDirectoryReader,
  StorageContext,
  StreamdexError,
  VectorStoreIndex,
} from "../src/index.js";
import { PgVectorStore } from "../src/storage/vector-store/pgvector/index.js";

const dataDir = fileURLToPath(new URL("./data", import.meta.url));
const question = process.argv[2] ?? "What did the author do growing up?";
const embedModel = new MockEmbedding({ dimensions: 64 });

const vectorStore = process.env.DATABASE_URL
  ? new PgVectorStore({ connectionString: process.env.DATABASE_URL, dimensions: embedModel.dimensions })
  : await PgVectorStore.embedded({ dataDir: process.env.PG_DATA_DIR, dimensions: embedModel.dimensions });

try {
  const storageContext = new StorageContext({ vectorStore });
  let index: VectorStoreIndex;
  if ((await vectorStore.count()) === 0) {
    const documents = await new SimpleDirectoryReader().loadData(dataDir);
    index = await VectorStoreIndex.fromDocuments(documents, { storageContext, embedModel, chunkSize: 256 });
    console.log(
      `Indexed ${documents.length} documents into ${await vectorStore.count()} rows of ${vectorStore.tableName}.`,
    );
  } else {
    index = new VectorStoreIndex({ storageContext, embedModel });
    console.log(`Using the ${await vectorStore.count()} rows already in ${vectorStore.tableName}.`);
  }
  const engine = index.asQueryEngine({ streaming: true, similarityTopK: 2, llm: new ExtractiveLLM() });
  console.log(`\nQ: ${question}\nA: `);
  const response = await engine.query(question);
  await response.printResponseStream();
  console.log(
    "\nSources:",
    response.sourceNodes.map((n) => `${n.node.metadata.file_name} (${n.score?.toFixed(3)})`).join(", "),
  );
} catch (error) {
  if (!(error instanceof StreamdexError)) throw error;
  console.error(`${error.name}: ${error.message}`);
  process.exitCode = 1;
} finally {
  await vectorStore.close();
}
