import { type ReasoningFlags, reasoningView } from "../answer-view.js";
import { chatLoop } from "../chat-loop.js";
import { type CliContext, note } from "../context.js";
import {
  chatEngineFor,
  chatMode,
  defaultChatMode,
  type IndexFlags,
  int,
  mode,
  models,
  noIndex,
  refreshIndex,
  withIndex,
} from "./shared.js";

/** Flags of `chat`. */
export interface ChatFlags extends IndexFlags, ReasoningFlags {
  data?: string;
  "top-k"?: string;
  mode?: string;
  "chat-mode"?: string;
  system?: string;
}

/**
 * `streamdex chat`: refreshes the index like `ask`, then a conversation on the terminal: each answer streams as
 * it is written, with its sources in one line, and the session remembers earlier turns. Ctrl-C during an answer
 * stops it (the model request is aborted); Ctrl-C at the prompt, Ctrl-D or "exit" leaves (exit 0). A reasoning
 * model's reasoning is shown as in `ask` (dimmed above each answer on a terminal), and never enters the memory.
 */
export async function chat(ctx: CliContext, flags: ChatFlags): Promise<number> {
  const topK = int("top-k", flags["top-k"], 2, 1);
  const responseMode = mode(flags.mode);
  const asked = chatMode(flags["chat-mode"]);
  const view = reasoningView(ctx, flags);
  const choice = await models(ctx, flags);
  return withIndex(ctx, flags, choice, { writes: false, data: flags.data }, async (ws, unlock) => {
    await refreshIndex(ctx, ws, flags.data);
    await unlock(); // the conversation only reads
    if (ws.isEmpty) return noIndex(ctx, ws);

    const engine = chatEngineFor(ws.retriever(topK), choice, {
      streaming: true,
      mode: responseMode,
      chatMode: asked,
      systemPrompt: flags.system,
    });
    if (asked === undefined) {
      note(ctx, `Chat mode: ${defaultChatMode(choice)}; change with --chat-mode.`);
    }
    return chatLoop(ctx, engine, view);
  });
}
