import type { FinishPart, LLMStreamPart, TokenUsage } from "./types.js";

/** The shape of a part from an LLM written before {@link LLMStreamPart} (`{ delta, usage?, finishReason? }`). */
interface LegacyChunk {
  delta: string;
  usage?: TokenUsage;
  finishReason?: string;
  raw?: unknown;
}

/**
 * A part whose `type` is none of {@link LLMStreamPart}'s, read as what it can be: a chunk in the old
 * `{ delta, usage?, finishReason? }` shape gives its text and finish parts; anything else nothing. Readers call it
 * from their `default` branch only, so the known parts pay nothing.
 */
export function legacyParts(part: unknown): LLMStreamPart[] {
  const chunk = part as Partial<LegacyChunk> | null;
  if (chunk === null || typeof chunk !== "object" || typeof chunk.delta !== "string") return [];
  const parts: LLMStreamPart[] = [];
  if (chunk.delta !== "") parts.push({ type: "text-delta", text: chunk.delta, raw: chunk.raw });
  if (chunk.usage !== undefined || chunk.finishReason !== undefined) {
    parts.push({ type: "finish", usage: chunk.usage, finishReason: chunk.finishReason, raw: chunk.raw });
  }
  return parts;
}

/** The finish parts of one call, merged: a later field wins. */
export class FinishState {
  usage: TokenUsage | undefined;
  finishReason: string | undefined;

  /** Takes in one finish part. */
  add(part: FinishPart): void {
    if (part.usage !== undefined) this.usage = part.usage;
    if (part.finishReason !== undefined) this.finishReason = part.finishReason;
  }
}

/** An empty event's parts (shared: it is never mutated). */
const NONE: readonly LLMStreamPart[] = Object.freeze([]);

/**
 * The parts of one provider event that carries answer text (maybe `""`) and, on the last events, usage or a finish
 * reason: a `text-delta` unless the text is empty, then a `finish` if either is given; `[]` for neither.
 */
export function textAndFinish(
  text: string,
  usage: TokenUsage | undefined,
  finishReason: string | undefined,
  raw?: unknown,
): LLMStreamPart | readonly LLMStreamPart[] {
  const finish = usage !== undefined || finishReason !== undefined;
  if (!finish) return text === "" ? NONE : { type: "text-delta", text, raw };
  const end: LLMStreamPart = { type: "finish", usage, finishReason, raw };
  return text === "" ? end : [{ type: "text-delta", text, raw }, end];
}

/** `reasoning` (when not `""`) as a `reasoning-delta` part before `parts` (one event's parts, as from {@link textAndFinish}). */
export function withReasoning(
  reasoning: string,
  parts: LLMStreamPart | readonly LLMStreamPart[],
  raw?: unknown,
): LLMStreamPart | readonly LLMStreamPart[] {
  if (reasoning === "") return parts;
  const thought: LLMStreamPart = { type: "reasoning-delta", text: reasoning, raw };
  return isPartList(parts) ? [thought, ...parts] : [thought, parts];
}

function isPartList(parts: LLMStreamPart | readonly LLMStreamPart[]): parts is readonly LLMStreamPart[] {
  return Array.isArray(parts);
}

/** A wire text field that may be absent or null (`""` then); anything but a string throws (a malformed event). */
export function wireText(value: unknown, name: string): string {
  if (typeof value === "string") return value;
  if (value === undefined || value === null) return "";
  throw new TypeError(`${name} is a ${typeof value}, not a string`);
}

/**
 * The reasoning fields OpenAI-compatible servers add to a message or a delta: `reasoning_content` (DeepSeek, vLLM,
 * llama.cpp's server, LM Studio, Hugging Face's router) or `reasoning` (Ollama, OpenRouter). OpenAI's own API sends
 * neither.
 */
export interface WireReasoningFields {
  reasoning_content?: unknown;
  reasoning?: unknown;
}

/** The reasoning of a message or delta (see {@link WireReasoningFields}); `""` for none; a non-string throws. */
export function wireReasoning(fields: WireReasoningFields | null | undefined, where: string): string {
  if (!fields) return "";
  const text = wireText(fields.reasoning_content, `${where}.reasoning_content`);
  return text !== "" ? text : wireText(fields.reasoning, `${where}.reasoning`);
}
