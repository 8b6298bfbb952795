import type { Response } from "../schema/response.js";
import type { StreamingResponse } from "../streaming/streaming-response.js";
import { writeRespectingBackpressure } from "../streaming/writable.js";
import type { CliContext } from "./context.js";
import { UsageError } from "./models.js";

/**
 * How the model's reasoning is shown: `dim` (ANSI dim, on a terminal), `plain` (no escape codes: piped with
 * `--reasoning`, or `NO_COLOR`) or `hidden`.
 */
export type ReasoningView = "dim" | "plain" | "hidden";

/** The flags of `ask` and `chat` that choose the {@link ReasoningView}. */
export interface ReasoningFlags {
  reasoning?: boolean;
  "no-reasoning"?: boolean;
}

/** ANSI SGR 2 (faint) and 22 (normal intensity: ends faint without resetting other attributes). */
const DIM = "\x1b[2m";
const UNDIM = "\x1b[22m";

/**
 * On a terminal the reasoning is shown, dimmed, above the answer; piped (stdout not a TTY) stdout holds only the
 * answer, unless `--reasoning` asks for the reasoning too (as plain text). `--no-reasoning` hides it everywhere.
 * `NO_COLOR` keeps the reasoning but drops the escape codes.
 */
export function reasoningView(ctx: CliContext, flags: ReasoningFlags): ReasoningView {
  if (flags.reasoning && flags["no-reasoning"])
    throw new UsageError("--reasoning and --no-reasoning contradict each other: pass one of them.");
  if (flags["no-reasoning"]) return "hidden";
  const terminal = ctx.stdout.isTTY === true;
  if (!terminal && !flags.reasoning) return "hidden";
  const noColor = ctx.env.NO_COLOR !== undefined && ctx.env.NO_COLOR !== "";
  return terminal && !noColor ? "dim" : "plain";
}

/**
 * Streams an answer to stdout as it is written, reading `res.parts`: the reasoning (per `view`) and the answer
 * text in the model's order, a blank line between a stretch of reasoning and a stretch of answer. Every dimmed
 * piece is closed by itself, so an interrupted answer never leaves the terminal dim. Honours stdout's
 * backpressure; if stdout closes the answer is cancelled, if it fails the error is thrown. An error of the answer
 * stream is thrown (as `responseGen` would). `beforeOutput` runs once, right before the first thing written (to
 * erase a progress line).
 */
export async function printAnswerStream(
  ctx: CliContext,
  res: StreamingResponse,
  view: ReasoningView,
  beforeOutput?: () => void,
): Promise<void> {
  const layout = new Layout(view);
  let before = beforeOutput;
  for await (const part of res.parts) {
    let chunk = "";
    if (part.type === "text-delta") chunk = layout.text(part.text);
    else if (part.type === "reasoning-delta") chunk = layout.reasoning(part.text);
    else if (part.type === "error") throw part.error;
    if (chunk === "") continue;
    if (before) {
      before();
      before = undefined;
    }
    const outcome = await writeRespectingBackpressure(ctx.stdout, chunk);
    if (outcome instanceof Error) throw outcome; // leaving the loop cancels the answer
    if (outcome !== "ok") return;
  }
}

/** A finished answer (`--no-stream`): its reasoning (per `view`) above the text, then a newline. */
export function printAnswer(ctx: CliContext, response: Response, view: ReasoningView): void {
  const layout = new Layout(view);
  ctx.stdout.write(`${layout.reasoning(response.reasoning)}${layout.text(response.response)}\n`);
}

/**
 * Lays out a stream of reasoning and text pieces. A blank line separates a change from one to the other (counting
 * the newlines the previous stretch ended with, and dropping those the next one starts with).
 */
class Layout {
  private current: "none" | "reasoning" | "text" = "none";
  /** Newlines the output ends with (0, 1, or 2 meaning "at least two"). */
  private trailingNewlines = 0;
  /** A change of stretch whose separator waits for the new stretch's first visible character. */
  private pendingBreak = false;

  constructor(private readonly view: ReasoningView) {}

  reasoning(text: string): string {
    if (this.view === "hidden") return "";
    return this.piece("reasoning", text, (t) => (this.view === "dim" ? `${DIM}${t}${UNDIM}` : t));
  }

  text(text: string): string {
    return this.piece("text", text, (t) => t);
  }

  private piece(kind: "reasoning" | "text", text: string, style: (text: string) => string): string {
    if (text === "") return "";
    if (this.current !== kind) {
      this.pendingBreak = this.current !== "none";
      this.current = kind;
    }
    let out = "";
    if (this.pendingBreak) {
      const rest = text.replace(/^\n+/, "");
      if (rest === "") return "";
      this.pendingBreak = false;
      out = "\n".repeat(Math.max(0, 2 - this.trailingNewlines));
      text = rest;
    }
    const trailing = text.length - text.replace(/\n+$/, "").length;
    this.trailingNewlines = Math.min(
      2,
      trailing === text.length ? this.trailingNewlines + trailing : trailing,
    );
    return out + style(text);
  }
}
