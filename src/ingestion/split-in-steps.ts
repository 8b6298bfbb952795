import type { TextNode } from "../schema/node.js";
import { throwIfAborted } from "../utils/abort.js";
import { SentenceSplitter } from "./splitters/sentence-splitter.js";
import type { NodeParser } from "./types.js";

/** Documents split per step on the calling thread before the event loop may run. */
const STEP_DOCS = 8;
/** Longest a run of steps goes on without yielding to the event loop (ms). */
const STEP_MS = 10;

/**
 * Splits `documents` with `parser` and yields their nodes in document order, a few documents at a time, so that a
 * caller can start embedding the first chunks while later documents are split. A `SentenceSplitter` runs here,
 * yielding to the event loop at least every 10 ms. Other parsers get every document in one call.
 *
 * @internal
 */
export async function* splitInSteps(
  documents: TextNode[],
  parser: NodeParser,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<TextNode[]> {
  if (!(parser instanceof SentenceSplitter)) {
    throwIfAborted(options.signal);
    yield parser.getNodesFromDocuments(documents);
    return;
  }
  let lastYield = performance.now();
  for (let i = 0; i < documents.length; i += STEP_DOCS) {
    throwIfAborted(options.signal);
    yield parser.getNodesFromDocuments(documents.slice(i, i + STEP_DOCS));
    if (performance.now() - lastYield > STEP_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
  }
}
