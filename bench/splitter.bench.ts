import { SentenceSplitter } from "../src/ingestion/splitters/sentence-splitter.js";
import { Document } from "../src/schema/node.js";
import { mulberry32 } from "../test/support/prng.js";

const WORDS = (
  "the of and to in a is that for it as was with be by on not he this are or his from at which but have an they " +
  "you were her she there would their we him been has when who will more no if out so said what up its about " +
  "into than them can only other new some could time these two may then do first any my now such like our over " +
  "man me even most made after also did many before must through back years where much your way well down should " +
  "because each just those people how too little state good very make world still own see men work long get here " +
  "between both life being under never day same another know while last might us great old year off come since " +
  "against go came right used take three river index query answer stream token chunk document engine vector " +
  "retrieval synthesis latency throughput library developer question evidence summary paragraph sentence"
).split(" ");
const PUNCTUATION = [".", ".", ".", ".", "?", "!"];
const TARGET_BYTES = 30 * 1024 * 1024;
const DOCUMENTS = 3000;

const prng = mulberry32;

function sentence(rand: () => number): string {
  const length = 6 + Math.floor(rand() * 22);
  const words: string[] = [];
  for (let i = 0; i < length; i++) {
    let word = WORDS[Math.floor(rand() * WORDS.length)]!;
    const r = rand();
    if (r < 0.02) word = String(Math.floor(rand() * 10000));
    else if (r < 0.03) word = "Dr.";
    if (i > 2 && i < length - 1 && rand() < 0.08) word += ",";
    words.push(word);
  }
  const first = words[0]!;
  words[0] = first[0]!.toUpperCase() + first.slice(1);
  return words.join(" ") + PUNCTUATION[Math.floor(rand() * PUNCTUATION.length)]!;
}

/** ~30 MB of English-like text in {@link DOCUMENTS} documents of paragraphs of 2–8 sentences. */
export function buildCorpus(seed = 42): Document[] {
  const rand = prng(seed);
  const perDocument = Math.ceil(TARGET_BYTES / DOCUMENTS);
  const docs: Document[] = [];
  for (let d = 0; d < DOCUMENTS; d++) {
    const paragraphs: string[] = [];
    let size = 0;
    while (size < perDocument) {
      const sentences: string[] = [];
      const count = 2 + Math.floor(rand() * 7);
      for (let s = 0; s < count; s++) sentences.push(sentence(rand));
      const paragraph = sentences.join(" ");
      paragraphs.push(paragraph);
      size += paragraph.length + 2;
    }
    docs.push(
      new Document({
        id: `doc-${d}`,
        text: paragraphs.join("\n\n"),
        metadata: { file_name: `doc-${d}.txt` },
      }),
    );
  }
  return docs;
}

/**
 * Splitting throughput of {@link SentenceSplitter} (chunkSize 1024, overlap 200, cl100k_base) over a
 * deterministic ~30 MB English-like corpus of 3000 documents: the median of 3 runs after one warm-up.
 */
export async function benchSplitter(): Promise<{ name: string; mbPerSec: number; notes: string }> {
  const docs = buildCorpus();
  const bytes = docs.reduce((sum, doc) => sum + Buffer.byteLength(doc.text, "utf8"), 0);
  const splitter = new SentenceSplitter({ chunkSize: 1024, chunkOverlap: 200 });
  const warmStart = performance.now();
  let nodes = splitter.getNodesFromDocuments(docs); // warm-up: loads the tokenizer, fills the pre-token cache
  const warmUp = performance.now() - warmStart;
  const times: number[] = [];
  for (let run = 0; run < 3; run++) {
    const start = performance.now();
    nodes = splitter.getNodesFromDocuments(docs);
    times.push(performance.now() - start);
  }
  times.sort((x, y) => x - y);
  const median = times[1]!;
  const mb = bytes / (1024 * 1024);
  return {
    name: "SentenceSplitter (cl100k, 1024/200)",
    mbPerSec: Math.round((mb / (median / 1000)) * 10) / 10,
    notes:
      `${mb.toFixed(1)} MB in ${docs.length} docs -> ${nodes.length} chunks; median ${median.toFixed(0)} ms ` +
      `of [${times.map((t) => t.toFixed(0)).join(", ")}] (cold warm-up run: ${warmUp.toFixed(0)} ms)`,
  };
}
