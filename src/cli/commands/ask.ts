import type { Citation } from "../../citations/citation-parser.js";
import type { NodeWithScore } from "../../schema/node.js";
import { Response } from "../../schema/response.js";
import type { QueryTimings } from "../../schema/timings.js";
import { Settings } from "../../settings/settings.js";
import type { StreamingResponse } from "../../streaming/streaming-response.js";
import type { ResponseMode } from "../../synthesizers/types.js";
import {
  printAnswer,
  printAnswerStream,
  type ReasoningFlags,
  type ReasoningView,
  reasoningView,
} from "../answer-view.js";
import { citedSources, printCitedSources } from "../cited-sources.js";
import { type CliContext, EXIT } from "../context.js";
import { type ModelChoice, UsageError } from "../models.js";
import { SynthesisProgress } from "../progress.js";
import type { Workspace } from "../workspace.js";
import { engineFor, type IndexFlags, int, mode, models, noIndex, refreshIndex, withIndex } from "./shared.js";

/** Flags of `ask`. */
export interface AskFlags extends IndexFlags, ReasoningFlags {
  data?: string;
  "top-k"?: string;
  mode?: string;
  "no-stream"?: boolean;
  json?: boolean;
  /** Print where the time went (retrieval, first tokens, total, tokens/s) on stderr. */
  timings?: boolean;
  /** Cite the sources: `[n]` markers in the answer, then the numbered sources (see {@link printCitedSources}). */
  citations?: boolean;
}

/**
 * `streamdex ask "<question>"`: refreshes the index (only changed files), then streams the answer to stdout as it
 * arrives and lists the sources. Ctrl-C stops the provider request (exit 130). A reasoning model's reasoning is
 * shown dimmed above the answer on a terminal, and left out when stdout is piped (see {@link reasoningView});
 * `--json` carries it as `reasoning`. `--citations`: the answer cites numbered sources with `[n]` markers (kept in
 * the streamed text), and the sources are listed by number, with the cited numbers that have no source flagged;
 * `--json` then adds `citations` and numbers the `sources`.
 */
export async function ask(ctx: CliContext, question: string | undefined, flags: AskFlags): Promise<number> {
  if (!question || question.trim() === "")
    throw new UsageError('ask needs a question: streamdex ask "What is …?"');
  const topK = int("top-k", flags["top-k"], 2, 1);
  const responseMode = mode(flags.mode);
  const view = reasoningView(ctx, flags);
  const choice = await models(ctx, flags);
  return withIndex(ctx, flags, choice, { writes: false, data: flags.data }, async (ws, unlock) => {
    await refreshIndex(ctx, ws, flags.data);
    await unlock(); // answering only reads
    return answer(ctx, ws, question, flags, { topK, responseMode, choice, view });
  });
}

async function answer(
  ctx: CliContext,
  ws: Workspace,
  question: string,
  flags: AskFlags,
  {
    topK,
    responseMode,
    choice,
    view,
  }: { topK: number; responseMode: ResponseMode; choice: ModelChoice; view: ReasoningView },
): Promise<number> {
  if (ws.isEmpty) return noIndex(ctx, ws);

  const streaming = !flags["no-stream"] && !flags.json;
  const engine = engineFor(ws.retriever(topK), choice, {
    streaming,
    mode: responseMode,
    citations: flags.citations === true,
  });
  // "refining 2/4" on a terminal while the earlier calls of a multi-call mode run.
  const progress = new SynthesisProgress(ctx.stderr, Settings.events);
  try {
    const result = await engine.query(question, { signal: ctx.interrupt });
    progress.detach();
    return await show(ctx, result, question, flags, { choice, ws, view, progress });
  } finally {
    progress.stop();
  }
}

async function show(
  ctx: CliContext,
  result: Response | StreamingResponse,
  question: string,
  flags: AskFlags,
  {
    choice,
    ws,
    view,
    progress,
  }: { choice: ModelChoice; ws: Workspace; view: ReasoningView; progress: SynthesisProgress },
): Promise<number> {
  if (result instanceof Response) {
    progress.clear();
    if (flags.json) {
      const reasoning = flags["no-reasoning"] ? {} : { reasoning: result.reasoning };
      const cited = flags.citations
        ? {
            sources: (await citedSources(result.sourceNodes, result.citations)).sources.map(
              ({ name: _name, ...s }) => s,
            ),
            citations: result.citations,
          }
        : { sources: sources(result.sourceNodes) };
      ctx.stdout.write(
        `${JSON.stringify({ question, answer: result.response, ...reasoning, ...cited, usage: result.usage ?? null, timings: result.timings ?? null, llm: choice.llmSpec, retrieval: ws.embedding.spec })}\n`,
      );
    } else {
      printAnswer(ctx, result, view);
      await listSources(ctx, result.sourceNodes, result.citations, flags);
      if (flags.timings) printTimings(ctx, result.timings);
    }
    return EXIT.ok;
  }
  await printAnswerStream(ctx, result, view, () => progress.clear());
  progress.clear(); // an answer with nothing to print
  ctx.stdout.write("\n");
  await listSources(ctx, result.sourceNodes, result.citations, flags);
  if (flags.timings) printTimings(ctx, result.timings);
  return EXIT.ok;
}

/** The sources after the answer: numbered as the markers with `--citations`, by rank and score otherwise. */
async function listSources(
  ctx: CliContext,
  nodes: NodeWithScore[],
  citations: readonly Citation[],
  flags: AskFlags,
): Promise<void> {
  if (flags.citations) printCitedSources(ctx, await citedSources(nodes, citations));
  else printSources(ctx, nodes);
}

/** `--timings`: where the time went, in one line on stderr (stdout keeps the answer and its sources). */
function printTimings(ctx: CliContext, timings: QueryTimings | undefined): void {
  if (!timings) return;
  const ms = (label: string, value: number | undefined) =>
    value === undefined ? [] : [`${label} ${value < 10 ? value.toFixed(1) : Math.round(value)} ms`];
  const parts = [
    ...ms("retrieve", timings.retrieveMs),
    ...ms("earlier calls", timings.priorCallsMs),
    ...ms("first reasoning token", timings.ttfrMs),
    ...ms("first token", timings.ttftMs),
    ...ms("total", timings.totalMs),
    ...(timings.tokensPerSecond === undefined ? [] : [`${timings.tokensPerSecond.toFixed(1)} tokens/s`]),
  ];
  ctx.stderr.write(`Timings: ${parts.join(" · ")}\n`);
}

function sources(nodes: NodeWithScore[]) {
  return nodes.map(({ node, score }) => ({
    file: String(node.metadata.file_path ?? node.metadata.file_name ?? node.refDocId ?? node.id),
    score: score ?? null,
    text: node.text,
  }));
}

function printSources(ctx: CliContext, nodes: NodeWithScore[]): void {
  if (nodes.length === 0) return;
  ctx.stdout.write("\nSources:\n");
  nodes.forEach(({ node, score }, i) => {
    const file = String(node.metadata.file_name ?? node.refDocId ?? node.id);
    const words = node.text.replace(/\s+/g, " ").trim().split(" ").slice(0, 12).join(" ");
    ctx.stdout.write(
      `  ${i + 1}. ${file}  (score ${score === undefined ? "n/a" : score.toFixed(3)})  "${words}…"\n`,
    );
  });
}
