import type { ChatMessage } from "../llms/types.js";

/**
 * One message kept in a chat memory. An assistant turn that was cut short (cancelled, aborted, or failed
 * mid-stream) keeps the text delivered so far and has `interrupted: true`.
 *
 * @example
 * ```ts
 * const turn: ChatTurn = { role: "assistant", content: "The author wrote short", interrupted: true };
 * ```
 */
export interface ChatTurn extends ChatMessage {
  /** The answer stopped before its end; `content` is the partial text. Only on assistant turns. */
  interrupted?: boolean;
}

/**
 * How an interrupted assistant turn is shown to the LLM on later calls: its partial text followed by this note
 * (or the note alone when no text was delivered), so the model neither continues the cut sentence nor takes it
 * for a complete answer.
 */
export const INTERRUPTED_NOTE = "[This answer was interrupted before it was finished.]";

/**
 * A turn as the LLM sees it: interrupted assistant turns carry {@link INTERRUPTED_NOTE}; every other turn is
 * passed as it is.
 *
 * @example
 * ```ts
 * renderTurn({ role: "assistant", content: "He wrote", interrupted: true }).content;
 * // "He wrote\n\n[This answer was interrupted before it was finished.]"
 * ```
 */
export function renderTurn(turn: ChatTurn): ChatMessage {
  if (!turn.interrupted) return { role: turn.role, content: turn.content };
  const content = turn.content.trim() === "" ? INTERRUPTED_NOTE : `${turn.content}\n\n${INTERRUPTED_NOTE}`;
  return { role: turn.role, content };
}
