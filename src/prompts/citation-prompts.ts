import { PromptTemplate } from "./prompt-template.js";

/*
 * The prompts of the citation query engine (our own wording). The context holds numbered sources, each opened by
 * a "Source N:" line; the answer cites them with [N] markers right after each claim, which the streaming citation
 * parser maps back to the sources as they arrive.
 */

const CITE_RULES =
  "Cite the sources you use: put the source number in square brackets right after each claim, " +
  "e.g. [1], or [1][3] for several. Cite only the numbered sources above; " +
  "use no brackets for anything else.";

/** Answers from numbered sources, citing them. Variables: `{context}`, `{query}`. */
export const CITATION_QA_PROMPT = new PromptTemplate(
  "Below are numbered sources from the user's documents.\n" +
    "=====\n" +
    "{context}\n" +
    "=====\n" +
    "Using only these sources, and not outside knowledge, answer the question. " +
    "If the sources do not contain the answer, say so. " +
    CITE_RULES +
    "\n" +
    "Question: {query}\n" +
    "Answer: ",
);

/** Improves a cited answer with more numbered sources. Variables: `{query}`, `{existingAnswer}`, `{context}`. */
export const CITATION_REFINE_PROMPT = new PromptTemplate(
  "Question: {query}\n" +
    "Current answer: {existingAnswer}\n" +
    "More numbered sources from the user's documents follow.\n" +
    "=====\n" +
    "{context}\n" +
    "=====\n" +
    "Rewrite the current answer so that it also uses these sources, keeping its citations where its claims " +
    "stay. If they add nothing useful, repeat the current answer unchanged. " +
    CITE_RULES +
    " Reply with the answer only.\n" +
    "Answer: ",
);

/** Combines numbered sources (or cited summaries) into one cited answer. Variables: `{context}`, `{query}`. */
export const CITATION_SUMMARY_PROMPT = new PromptTemplate(
  "Several numbered sources (or summaries citing them) from the user's documents follow.\n" +
    "=====\n" +
    "{context}\n" +
    "=====\n" +
    "Combine what they say into one answer to the question, using only these passages and keeping the " +
    "source numbers they cite. " +
    CITE_RULES +
    "\n" +
    "Question: {query}\n" +
    "Answer: ",
);

/** The label that opens source `n` in a citation prompt's context. */
export function sourceLabel(n: number): string {
  return `Source ${n}:`;
}
