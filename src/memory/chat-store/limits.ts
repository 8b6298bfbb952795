import { InvalidArgumentError } from "../../errors/index.js";
import { describe } from "../../utils/validate.js";
import type { ChatTurn } from "../chat-turn.js";
import { ConversationFullError } from "./errors.js";
import type { ChatStoreLimits } from "./types.js";

/** Default {@link ChatStoreLimits.ttlMs}: 7 days. */
export const DEFAULT_CHAT_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** {@link ChatStoreLimits} checked, with defaults applied. */
export interface ResolvedLimits {
  ttlMs: number;
  maxTurns: number | undefined;
  maxBytes: number | undefined;
}

/** Checks the limits (positive integers); `defaults` fill the caps not given. */
export function resolveLimits(
  options: ChatStoreLimits,
  defaults: { maxTurns?: number; maxBytes?: number } = {},
): ResolvedLimits {
  return {
    ttlMs: positive("ttlMs", options.ttlMs) ?? DEFAULT_CHAT_TTL_MS,
    maxTurns: positive("maxTurns", options.maxTurns) ?? defaults.maxTurns,
    maxBytes: positive("maxBytes", options.maxBytes) ?? defaults.maxBytes,
  };
}

/** UTF-8 bytes of the turns' text. */
export function turnBytes(turns: readonly ChatTurn[]): number {
  let bytes = 0;
  for (const t of turns) bytes += Buffer.byteLength(t.content);
  return bytes;
}

/**
 * Throws {@link ConversationFullError} unless a conversation of `turns` turns and `bytes` bytes has room for
 * `message` and its answer (two more turns).
 */
export function checkRoom(limits: ResolvedLimits, turns: number, bytes: number, message: string): void {
  if (limits.maxTurns !== undefined && turns + 2 > limits.maxTurns) {
    throw new ConversationFullError("maxTurns", limits.maxTurns, turns);
  }
  if (limits.maxBytes !== undefined && bytes + Buffer.byteLength(message) > limits.maxBytes) {
    throw new ConversationFullError("maxBytes", limits.maxBytes, bytes);
  }
}

/** Whether two turns are the same message. */
export function sameTurn(a: ChatTurn, b: ChatTurn): boolean {
  return (
    a.role === b.role && a.content === b.content && (a.interrupted ?? false) === (b.interrupted ?? false)
  );
}

/** Checks a conversation id: a non-empty string of at most 256 characters. */
export function checkConversationId(id: unknown): string {
  if (typeof id !== "string" || id === "" || id.length > 256) {
    throw new InvalidArgumentError(
      "conversationId",
      `expected a non-empty string of at most 256 characters, got ${describe(id)}.`,
    );
  }
  return id;
}

function positive(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(name, `expected a positive integer, got ${describe(value)}.`);
  }
  return value;
}
