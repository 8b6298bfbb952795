import { mulberry32 } from "../test/support/prng.js";

const DOCS = 5000;
const WORDS_PER_DOC = 1000;
const VOCABULARY = (
  "the of and to in is was for on that with as by at from it an be this are or which have has had were not but all " +
  "system data model user service network report energy market policy research process value design project water " +
  "health result level control group change program support method power team light order state city river forest " +
  "memory storage index query vector token stream latency throughput budget quarter revenue growth customer product"
).split(" ");

/** One report of {@link reportCorpus}. */
export interface Report {
  id: string;
  text: string;
  report: number;
}

/**
 * The ingestion benchmarks' corpus: 5,000 deterministic reports of ~1,000 words (~28 MB), paragraphs of 3–7
 * sentences of 8–20 words. Plain records, so each benchmark wraps them in the `Document` class it imports.
 */
export function reportCorpus(seed = 7): Report[] {
  const rand = mulberry32(seed);
  const word = (): string => VOCABULARY[Math.floor(rand() * VOCABULARY.length)]!;
  return Array.from({ length: DOCS }, (_, i) => {
    const paragraphs = [`Report ${i}.`];
    let words = 2;
    while (words < WORDS_PER_DOC) {
      const sentences: string[] = [];
      for (let s = 3 + Math.floor(rand() * 5); s > 0 && words < WORDS_PER_DOC; s--) {
        const n = 8 + Math.floor(rand() * 13);
        const text = Array.from({ length: n }, word).join(" ");
        sentences.push(`${text[0]!.toUpperCase()}${text.slice(1)}.`);
        words += n;
      }
      paragraphs.push(sentences.join(" "));
    }
    return { id: `report-${i}`, text: paragraphs.join("\n\n"), report: i };
  });
}
