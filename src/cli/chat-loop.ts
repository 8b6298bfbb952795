import { createInterface } from "node:readline";
import type { ChatEngine } from "../engines/chat/types.js";
import { AbortError, StreamdexError } from "../errors/index.js";
import { messageOf } from "../errors/message-of.js";
import type { NodeWithScore } from "../schema/node.js";
import { Settings } from "../settings/settings.js";
import { onAbort } from "../utils/abort.js";
import { printAnswerStream, type ReasoningView } from "./answer-view.js";
import { type CliContext, EXIT } from "./context.js";
import { SynthesisProgress } from "./progress.js";

const PROMPT = "> ";

/**
 * The conversation on the terminal: reads a line, streams the answer, lists its sources in one line, repeats.
 * Ctrl-C during an answer stops that answer (its provider request is aborted, the partial text stays in
 * memory as interrupted) and returns to the prompt; Ctrl-C at the prompt, end of input (Ctrl-D) or "exit"
 * leaves with exit code 0. A failed answer is reported in one line and the conversation goes on. The model's
 * reasoning is shown per `view` (dimmed above the answer on a terminal by default).
 */
export async function chatLoop(
  ctx: CliContext,
  engine: ChatEngine,
  view: ReasoningView = "hidden",
): Promise<number> {
  const input = ctx.stdin ?? process.stdin;
  const terminal = Boolean(input.isTTY && ctx.stdout.isTTY);
  const rl = createInterface({ input, output: ctx.stdout, terminal, prompt: PROMPT });
  let stopAnswer: (() => void) | undefined;
  const onInterrupt = () => {
    if (stopAnswer) stopAnswer();
    else rl.close();
  };
  rl.on("SIGINT", onInterrupt); // Ctrl-C typed on a terminal (readline reads it as a key)
  const release = ctx.onInterrupt?.(onInterrupt) ?? fallbackInterrupt(ctx.interrupt, onInterrupt);
  ctx.stdout.write(
    `Chatting (${engine.chatMode}). Ctrl-C stops an answer; Ctrl-C at the prompt, Ctrl-D or "exit" leaves.\n`,
  );
  rl.prompt();
  try {
    for await (const line of rl) {
      const message = line.trim();
      if (message === "exit" || message === "quit") break;
      if (message !== "") {
        const controller = new AbortController();
        stopAnswer = () => controller.abort(new AbortError("Stopped with Ctrl-C."));
        try {
          await answer(ctx, engine, message, controller.signal, view);
        } finally {
          stopAnswer = undefined;
        }
      }
      rl.prompt();
    }
  } finally {
    release();
    rl.close();
  }
  ctx.stdout.write("\n");
  return EXIT.ok;
}

async function answer(
  ctx: CliContext,
  engine: ChatEngine,
  message: string,
  signal: AbortSignal,
  view: ReasoningView,
): Promise<void> {
  let started = false;
  // "refining 2/4" on a terminal while a condense_question chat's multi-call mode makes its earlier calls.
  const progress = new SynthesisProgress(ctx.stderr, Settings.events);
  try {
    const res = await engine.streamChat(message, { signal });
    progress.detach();
    started = true;
    await printAnswerStream(ctx, res, view, () => progress.clear());
    progress.clear();
    ctx.stdout.write("\n");
    if (res.sourceNodes.length > 0) ctx.stdout.write(`Sources: ${briefSources(res.sourceNodes)}\n`);
  } catch (error) {
    progress.stop(); // before the note below
    if (signal.aborted) {
      ctx.stdout.write(`${started ? "\n" : ""}[stopped]\n`);
      return;
    }
    const text = messageOf(error);
    const code = error instanceof StreamdexError ? ` (${error.code})` : "";
    ctx.stderr.write(`${started ? "\n" : ""}streamdex: ${text.replace(/\s+/g, " ").trim()}${code}\n`);
  } finally {
    progress.stop();
  }
}

/** `memoir.md (0.571), notes.txt (0.402)`: one entry per file, best score first. */
export function briefSources(nodes: NodeWithScore[]): string {
  const best = new Map<string, number | undefined>();
  for (const { node, score } of nodes) {
    const file = String(node.metadata.file_name ?? node.refDocId ?? node.id);
    if (!best.has(file) || (score ?? -Infinity) > (best.get(file) ?? -Infinity)) best.set(file, score);
  }
  return [...best]
    .map(([file, score]) => (score === undefined ? file : `${file} (${score.toFixed(3)})`))
    .join(", ");
}

/** Without a way to take Ctrl-C over (in-process use), the command's interrupt signal stops and leaves. */
function fallbackInterrupt(signal: AbortSignal, handler: () => void): () => void {
  return onAbort(signal, () => handler());
}
