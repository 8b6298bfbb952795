import type { ChatTurn } from "./chat-turn.js";

/** How a {@link PendingTurn}'s answer can be read and stopped, once the engine has it. */
export interface TurnControl {
  /** The answer's text delivered so far. */
  partialText(): string;
  /** Stops the answer: aborts the provider request. */
  stop(): void;
}

/**
 * One exchange in progress: the user's message is in memory already; the assistant's turn is written exactly
 * once, by whichever comes first of {@link PendingTurn.complete}, {@link PendingTurn.interrupt}, or a newer
 * message on the same memory (which interrupts this one with its partial text and stops it). Get one from
 * `memory.startTurn(message)`; chat engines do this for you.
 *
 * @example
 * ```ts
 * const turn = memory.startTurn("What did the author do?");
 * try { turn.complete(await answer()); } catch { turn.interrupt(""); }
 * ```
 */
export class PendingTurn {
  private control: TurnControl | undefined;
  private done = false;

  /** @internal Built by `ChatMemoryBuffer.startTurn`. */
  constructor(
    private readonly write: (turn: ChatTurn) => void,
    private readonly onClose: (turn: PendingTurn) => void,
  ) {}

  /** Whether the assistant turn has been written (or the turn discarded). */
  get closed(): boolean {
    return this.done;
  }

  /** Tells the turn how to read and stop its answer (used when a newer message supersedes it). */
  attach(control: TurnControl): void {
    this.control = control;
  }

  /** Writes the finished answer. Does nothing once the turn is closed. */
  complete(text: string): void {
    this.close({ role: "assistant", content: text });
  }

  /** Writes the partial answer, marked `interrupted: true`. Does nothing once the turn is closed. */
  interrupt(partialText: string): void {
    this.close({ role: "assistant", content: partialText, interrupted: true });
  }

  /** @internal A newer message arrived: record this answer as interrupted, then stop it. */
  supersede(): void {
    if (this.done) return;
    const control = this.control;
    this.interrupt(control?.partialText() ?? "");
    control?.stop();
  }

  /** @internal The memory was reset: write nothing, ever. */
  discard(): void {
    this.done = true;
  }

  private close(turn: ChatTurn): void {
    if (this.done) return;
    this.done = true;
    this.write(turn);
    this.onClose(this);
  }
}
