import { type Citation, CitationParser, type CitationParserOptions } from "../citations/citation-parser.js";
import type { NodeWithScore } from "../schema/node.js";
import type { CitationPart } from "./answer-part.js";

/**
 * The citations of one streamed answer (a citing engine's `StreamingResponse`): its `[n]` markers, source `n` being
 * `sourceNodes[n - 1]`. The answer's text is parsed as each delta is delivered to a parts reader, so that its
 * `citation` parts follow that delta ({@link delta}, then {@link nextPart}), and lazily for the text readers, whose
 * path stays free of it: what was not parsed yet is parsed when {@link all} is read.
 */
export class AnswerCitations {
  private readonly parser: CitationParser;
  private readonly list: Citation[] = [];
  /** Characters of the answer parsed so far. */
  private parsedTo = 0;
  /** The last delta's citations, for the parts reader to deliver right after it. */
  private queued: readonly Citation[] = [];
  private queuedAt = 0;

  constructor(sourceNodes: readonly NodeWithScore[], options: CitationParserOptions) {
    this.parser = new CitationParser((n) => sourceNodes[n - 1]?.node.id ?? null, options);
  }

  /**
   * Every citation of the answer so far, in order. `text()` gives the answer so far, of `length` characters (read
   * only when some of it was not parsed yet).
   */
  all(length: number, text: () => string): readonly Citation[] {
    if (this.parsedTo < length) this.take(this.parser.push(text().slice(this.parsedTo)), length);
    return this.list;
  }

  /**
   * A parts reader got the text delta `delta`, which ends the answer so far (`length` characters; `text()` gives it
   * all): parses it, and queues the citations it completes for {@link nextPart}.
   */
  delta(delta: string, length: number, text: () => string): void {
    // Parsed up to this delta already (a parts reader from the start): parse just it.
    const from = length - delta.length;
    const found = this.parser.push(this.parsedTo === from ? delta : text().slice(this.parsedTo));
    this.take(found, length);
    this.queued = found;
    this.queuedAt = 0;
  }

  /** The next queued citation of the last delta, as a part, or `undefined` when none is left. */
  nextPart(): CitationPart | undefined {
    if (this.queuedAt >= this.queued.length) return undefined;
    const c = this.queued[this.queuedAt++]!;
    return { type: "citation", marker: c.marker, nodeId: c.nodeId, start: c.start, end: c.end };
  }

  private take(found: readonly Citation[], length: number): void {
    this.parsedTo = length;
    for (let i = 0; i < found.length; i++) this.list.push(found[i]!);
  }
}
