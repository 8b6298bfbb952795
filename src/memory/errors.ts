import { StreamdexError } from "../errors/index.js";

/**
 * A serialised chat memory (from `ChatMemoryBuffer.fromJSON`) is malformed: not JSON, not an object, of an
 * unknown version, or with a message that is not `{ role, content, interrupted? }`. `path` names the part at
 * fault, e.g. `"messages[3].role"`.
 */
export class InvalidChatMemoryError extends StreamdexError {
  /** Where in the JSON the problem is (`""` for the whole value). */
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(`Invalid chat memory JSON${path ? ` at ${path}` : ""}: ${message}`, {
      code: "invalid_chat_memory",
      ...options,
    });
    this.path = path;
  }
}
