import { ProviderError, type ProviderErrorInit, StreamdexError } from "../../errors/index.js";
import { messageOf } from "../../errors/message-of.js";
import type { NodeLlamaCpp } from "./load-module.js";

const PROVIDER = "llamacpp";

/** llama.cpp could not load the model file (corrupt, truncated, or an architecture this build does not know). */
export class LlamaCppModelLoadError extends ProviderError {
  /** The GGUF file at fault. */
  readonly modelPath: string;

  constructor(message: string, modelPath: string, init: Omit<ProviderErrorInit, "provider"> = {}) {
    super(message, { provider: PROVIDER, ...init }, "model_load_failed");
    this.modelPath = modelPath;
  }
}

/** The model, or a context of the size asked for, does not fit in the memory available. */
export class InsufficientMemoryError extends ProviderError {
  constructor(message: string, init: Omit<ProviderErrorInit, "provider"> = {}) {
    super(message, { provider: PROVIDER, ...init }, "insufficient_memory");
  }
}

/** The last lines llama.cpp logged, to say why a load failed (llama.cpp's own messages are the precise ones). */
export class LogTail {
  private readonly lines: string[] = [];
  /** Lines recorded so far, also the ones dropped from the tail. */
  count = 0;

  constructor(private readonly size = 8) {}

  record(line: string): void {
    const text = line.trim();
    if (text === "") return;
    this.count++;
    this.lines.push(text);
    if (this.lines.length > this.size) this.lines.shift();
  }

  /** The kept lines recorded after `count` was `mark`, joined; `""` if none. */
  since(mark: number): string {
    const n = Math.min(this.count - mark, this.lines.length);
    return n <= 0 ? "" : this.lines.slice(-n).join(" | ");
  }
}

/**
 * Maps what node-llama-cpp throws while loading a model or creating a context to a typed error naming the file
 * and what to do.
 */
export function toLoadError(
  error: unknown,
  nlc: NodeLlamaCpp,
  what: { modelPath: string; stage: "model" | "context"; contextSize?: number; llamaLog?: string },
): Error {
  if (error instanceof StreamdexError) return error;
  const message = messageOf(error);
  if (
    error instanceof nlc.InsufficientMemoryError ||
    /insufficient memory|out of memory|failed to allocate/i.test(message)
  ) {
    const advice =
      what.stage === "context"
        ? `Lower contextSize (asked: ${what.contextSize}) or sequences, or use a smaller model.`
        : "Use a smaller (more quantized) model, or free memory.";
    return new InsufficientMemoryError(
      `Not enough memory for ${what.stage === "context" ? "a llama.cpp context on" : ""} ${what.modelPath}: ${message}. ${advice}`
        .replace(/\s+/g, " ")
        .trim(),
      { providerMessage: message, cause: error },
    );
  }
  const detail = what.llamaLog ? `${message} (llama.cpp: ${what.llamaLog})` : message;
  return new LlamaCppModelLoadError(
    what.stage === "model"
      ? `llama.cpp could not load ${what.modelPath}: ${detail}. Is it a complete GGUF file of an architecture this node-llama-cpp version supports?`
      : `llama.cpp could not create a context for ${what.modelPath}: ${detail}.`,
    what.modelPath,
    { providerMessage: message, cause: error },
  );
}
