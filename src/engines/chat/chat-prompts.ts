import { PromptTemplate } from "../../prompts/prompt-template.js";

/**
 * The system message of the `context` and `condense_plus_context` modes, around the retrieved excerpts.
 * Variable: `{context}`. Your `systemPrompt`, when given, comes before it in the same system message.
 */
export const DEFAULT_CONTEXT_SYSTEM_PROMPT = new PromptTemplate(
  "Below are excerpts from the user's documents.\n" +
    "=====\n" +
    "{context}\n" +
    "=====\n" +
    "Use these excerpts, and the conversation so far, to answer the user's latest message. If the excerpts do " +
    "not contain the answer, say so.",
);

/**
 * Rewrites a follow-up message as a standalone question (`condense_question`, `condense_plus_context`).
 * Variables: `{chatHistory}` (one `role: content` line per message), `{question}`.
 */
export const DEFAULT_CONDENSE_PROMPT = new PromptTemplate(
  "Given a conversation between a user and an assistant, and a follow-up message from the user, rewrite the " +
    "follow-up message as a standalone question that keeps every detail of the conversation needed to " +
    "understand it. Reply with the question only.\n\n" +
    "Conversation:\n" +
    "{chatHistory}\n\n" +
    "Follow-up message: {question}\n\n" +
    "Standalone question: ",
);
