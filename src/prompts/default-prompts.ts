import { PromptTemplate } from "./prompt-template.js";

/** Answers a question from retrieved context. Variables: `{context}`, `{query}`. */
export const DEFAULT_QA_PROMPT = new PromptTemplate(
  "Below are excerpts from the user's documents.\n" +
    "=====\n" +
    "{context}\n" +
    "=====\n" +
    "Using only these excerpts, and not outside knowledge, answer the question. " +
    "If the excerpts do not contain the answer, say so.\n" +
    "Question: {query}\n" +
    "Answer: ",
);

/** Improves an existing answer with more context. Variables: `{query}`, `{existingAnswer}`, `{context}`. */
export const DEFAULT_REFINE_PROMPT = new PromptTemplate(
  "Question: {query}\n" +
    "Current answer: {existingAnswer}\n" +
    "More excerpts from the user's documents follow.\n" +
    "=====\n" +
    "{context}\n" +
    "=====\n" +
    "Rewrite the current answer so that it also uses these excerpts. If they add nothing useful, repeat the " +
    "current answer unchanged. Reply with the answer only.\n" +
    "Answer: ",
);

/** Summarises several texts into one answer. Variables: `{context}`, `{query}`. */
export const DEFAULT_SUMMARY_PROMPT = new PromptTemplate(
  "Several passages from the user's documents follow.\n" +
    "=====\n" +
    "{context}\n" +
    "=====\n" +
    "Combine what they say into one answer to the question, using only these passages.\n" +
    "Question: {query}\n" +
    "Answer: ",
);

/** Answers without retrieved context (`generation` mode). Variable: `{query}`. */
export const DEFAULT_GENERATION_PROMPT = new PromptTemplate("{query}");
