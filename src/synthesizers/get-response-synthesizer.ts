import { InvalidArgumentError } from "../errors/index.js";
import { describe } from "../utils/validate.js";
import { accumulate } from "./modes/accumulate.js";
import { compact } from "./modes/compact.js";
import { compactAccumulate } from "./modes/compact-accumulate.js";
import { contextOnly } from "./modes/context-only.js";
import { generation } from "./modes/generation.js";
import { noText } from "./modes/no-text.js";
import { refine } from "./modes/refine.js";
import { simpleSummarize } from "./modes/simple-summarize.js";
import { treeSummarize } from "./modes/tree-summarize.js";
import { Synthesizer } from "./synthesizer.js";
import {
  type ModePlanner,
  RESPONSE_MODES,
  type ResponseMode,
  type ResponseSynthesizerOptions,
} from "./types.js";

const PLANNERS: Record<ResponseMode, ModePlanner> = {
  refine,
  compact,
  tree_summarize: treeSummarize,
  simple_summarize: simpleSummarize,
  accumulate,
  compact_accumulate: compactAccumulate,
  generation,
  no_text: noText,
  context_only: contextOnly,
};

/**
 * Builds a response synthesizer. With `streaming: true` it returns {@link StreamingResponse}s (and its type
 * says so); every mode streams: multi-call modes stream their last call, accumulate modes each answer in turn.
 *
 * @example
 * ```ts
 * const synth = getResponseSynthesizer({ streaming: true, responseMode: "compact" });
 * const engine = new RetrieverQueryEngine({ retriever: index.asRetriever({ similarityTopK: 2 }), responseSynthesizer: synth });
 * ```
 */
export function getResponseSynthesizer<S extends boolean = false>(
  options: ResponseSynthesizerOptions<S> = {},
): Synthesizer<S> {
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError("options", `expected an object, got ${describe(options)}.`);
  }
  const mode = options.responseMode ?? "compact";
  if (!isResponseMode(mode)) {
    throw new InvalidArgumentError(
      "responseMode",
      `unknown mode ${describe(mode)}. Use one of: ${RESPONSE_MODES.join(", ")}.`,
    );
  }
  return new Synthesizer<S>(mode, PLANNERS[mode], options);
}

/** Whether `value` names a response mode. */
export function isResponseMode(value: unknown): value is ResponseMode {
  return typeof value === "string" && (RESPONSE_MODES as readonly string[]).includes(value);
}
