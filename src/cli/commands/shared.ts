import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { createChatEngine } from "../../engines/chat/create-chat-engine.js";
import { CHAT_MODES, type ChatMode, isChatMode } from "../../engines/chat/types.js";
import { CitationQueryEngine, getCitationSynthesizer } from "../../engines/citation-query-engine.js";
import { RetrieverQueryEngine } from "../../engines/retriever-query-engine.js";
import { ExtractiveLLM } from "../../llms/extractive-llm.js";
import type { BaseRetriever } from "../../retrievers/types.js";
import { Settings } from "../../settings/settings.js";
import { MAX_EF_SEARCH } from "../../storage/vector-store/pgvector/options.js";
import { getResponseSynthesizer, isResponseMode } from "../../synthesizers/get-response-synthesizer.js";
import { RESPONSE_MODES, type ResponseMode } from "../../synthesizers/types.js";
import { type CliContext, EXIT, note } from "../context.js";
import { ExtractiveChatLLM } from "../extractive-chat.js";
import { DEFAULT_LOCK_WAIT_MS, INDEX_LOCK, lockIndex, lockPglite } from "../lock.js";
import { chooseModels, HASH_CAVEAT, type ModelChoice, UsageError } from "../models.js";
import { ProgressBar } from "../progress.js";
import { chooseStore, type StoreChoice, storeNotice } from "../stores.js";
import { type SyncSummary, Workspace } from "../workspace.js";

/** Flags every command that reads an index shares. */
export interface IndexFlags {
  persist?: string;
  llm?: string;
  embed?: string;
  /** `--retrieval hybrid|vector|keyword`. */
  retrieval?: string;
  store?: string;
  table?: string;
  "chunk-size"?: string;
  "chunk-overlap"?: string;
  rebuild?: boolean;
  /** `--ef-search` of ask, chat and serve (the Postgres stores' HNSW candidate list per query). */
  "ef-search"?: string;
}

/** Models chosen, announced in one line each on stderr. */
export async function models(ctx: CliContext, flags: IndexFlags): Promise<ModelChoice> {
  const { kind } = chooseStore(flags, ctx.env);
  const postgres = kind === "pglite" || kind === "postgres";
  const choice = await chooseModels(
    { llm: flags.llm, embed: flags.embed, retrieval: flags.retrieval, postgres },
    ctx.env,
  );
  for (const line of choice.notices) note(ctx, line);
  return choice;
}

/** What {@link withIndex} is opened for. */
export interface IndexUse {
  /** `ingest`: always takes the index lock (the others only when there is an index, or `--data`, to update). */
  writes: boolean;
  /** `--data` of ask, chat and serve. */
  data?: string;
}

/**
 * Opens the persisted index (default `.streamdex` in the working directory) in the store `--store` chose,
 * announced in one line unless it is the default, runs `fn` with it and closes it. `--rebuild` first empties that
 * store and the directory. While the index may change (until `fn` calls `unlock`, or returns) the command holds
 * the index lock: another command updating the same index is waited for (up to `STREAMDEX_LOCK_WAIT` seconds,
 * announced once), then refused.
 */
export async function withIndex<T>(
  ctx: CliContext,
  flags: IndexFlags,
  choice: ModelChoice,
  use: IndexUse,
  fn: (ws: Workspace, unlock: () => Promise<void>) => Promise<T>,
): Promise<T> {
  const dir = path.resolve(ctx.cwd, flags.persist ?? ".streamdex");
  const store = chooseStore(flags, ctx.env);
  if (store.kind === "ann" && choice.embedding.kind === "bm25") {
    throw new UsageError(
      "--store ann keeps embeddings, but retrieval is BM25 keyword search (no embedding model): pass --embed " +
        `<spec> (openai:<model>, llamacpp:<file.gguf>, huggingface:<model dir>, or ${HASH_CAVEAT}), or use ` +
        "--store simple, pglite or postgres://… (keyword search without embeddings).",
    );
  }
  const efSearch = efSearchFlag(flags["ef-search"], store);
  const waitMs = lockWait(ctx);
  const notice = storeNotice(store, dir);
  if (notice) note(ctx, notice);
  const locks = use.writes || flags.rebuild || use.data !== undefined || (await exists(dir));
  const unlock = locks
    ? await lockIndex(dir, { waitMs, onWait: (line) => note(ctx, line), signal: ctx.interrupt })
    : async () => {};
  try {
    if (flags.rebuild) await emptyIndex(dir, store);
    const ws = await Workspace.open(dir, choice.embedding, store, {
      efSearch,
      // Only a command that may build the index creates the table: ask, chat and serve read the table as it is.
      createTable: use.writes || use.data !== undefined,
      chunkSize: int("chunk-size", flags["chunk-size"], Settings.chunkSize),
      chunkOverlap: int("chunk-overlap", flags["chunk-overlap"], Settings.chunkOverlap),
      retrieval: choice.retrieval,
      onWarning: (message) => note(ctx, `warning: ${message.replace(/\s+/g, " ")}`),
    });
    let result: T;
    try {
      result = await fn(ws, unlock);
    } catch (error) {
      await ws.close().catch(() => undefined);
      throw error;
    }
    await ws.close();
    return result;
  } finally {
    await unlock();
  }
}

/** `--rebuild`: drops the Postgres table, or deletes everything in `dir` but the index lock held meanwhile. */
async function emptyIndex(dir: string, store: StoreChoice): Promise<void> {
  if (store.kind === "postgres") {
    const { dropPostgresTable } = await import("../postgres-table.js");
    await dropPostgresTable(store);
  } else if (store.kind === "pglite") {
    await (await lockPglite(dir))(); // never delete the database under a running command
  }
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries) {
    if (entry !== INDEX_LOCK) await rm(path.join(dir, entry), { recursive: true, force: true });
  }
}

/** Parses `--ef-search` (1 to 1000, for the Postgres stores only). */
function efSearchFlag(value: string | undefined, store: StoreChoice): number | undefined {
  if (value === undefined) return undefined;
  const n = int("ef-search", value, 0, 1);
  if (n > MAX_EF_SEARCH)
    throw new UsageError(`--ef-search needs an integer from 1 to ${MAX_EF_SEARCH}, got "${value}".`);
  if (store.kind !== "pglite" && store.kind !== "postgres") {
    throw new UsageError(
      `--ef-search applies to --store pglite and --store postgres://…, not --store ${store.kind}.`,
    );
  }
  return n;
}

/** `STREAMDEX_LOCK_WAIT`: seconds to wait for another command updating the index (default 60). */
function lockWait(ctx: CliContext): number {
  const value = ctx.env.STREAMDEX_LOCK_WAIT;
  if (value === undefined || value.trim() === "") return DEFAULT_LOCK_WAIT_MS;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new UsageError(`STREAMDEX_LOCK_WAIT needs a number of seconds >= 0, got "${value}".`);
  }
  return seconds * 1000;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Syncs `roots` into the workspace, with a progress bar on a terminal. */
export async function syncWithProgress(
  ctx: CliContext,
  ws: Workspace,
  roots: string[],
  exclude?: string[],
): Promise<SyncSummary> {
  const bar = new ProgressBar(ctx.stderr);
  try {
    return await ws.sync(
      roots.map((r) => path.resolve(ctx.cwd, r)),
      {
        onScan: (n) => bar.setFiles(0, n),
        onRead: (done, total) => bar.setFiles(done, total),
        onChunks: (n) => bar.setChunks(n),
        onEmbed: (done, total) => bar.setEmbeddings(done, total),
        onStore: (p) => bar.setStore(p),
      },
      { signal: ctx.interrupt, exclude },
    );
  } finally {
    bar.done();
  }
}

/**
 * Brings the index up to date before answering: syncs `data` (announcing what changed) when given, else the roots
 * the index was built from, quietly (a root that is gone is dropped).
 */
export async function refreshIndex(ctx: CliContext, ws: Workspace, data: string | undefined): Promise<void> {
  if (data !== undefined) {
    const summary = await syncWithProgress(ctx, ws, [data]);
    if (summary.added + summary.changed + summary.removed > 0) note(ctx, describeSync(summary, ws));
  } else if (ws.roots.length > 0) {
    await ws.sync(ws.roots, {}, { missingRoots: "remove", signal: ctx.interrupt });
  }
}

/** One line describing a sync. */
export function describeSync(s: SyncSummary, ws: Workspace): string {
  return (
    `${s.files} files: ${s.added} new, ${s.changed} changed, ${s.removed} removed, ${s.unchanged} unchanged` +
    `${s.skipped > 0 ? `, ${s.skipped} skipped` : ""}; ${s.chunks} new chunks. Index: ${ws.chunkCount} chunks ` +
    `from ${ws.fileCount} files in ${ws.dir} (${ws.embedding.spec}` +
    `${ws.storeKind === "simple" ? "" : `, --store ${ws.storeKind}`}).`
  );
}

/**
 * A query engine over the workspace, streaming or not. `citations`: a {@link CitationQueryEngine} (the retrieved
 * chunks cut into numbered sources, the citation prompts, `[n]` markers mapped to the sources as they stream).
 */
export function engineFor(
  retriever: BaseRetriever,
  choice: ModelChoice,
  options: { streaming: boolean; mode: ResponseMode; citations?: boolean },
): RetrieverQueryEngine<boolean> {
  if (options.citations) {
    return new CitationQueryEngine({
      retriever,
      responseSynthesizer: getCitationSynthesizer({
        streaming: options.streaming,
        responseMode: options.mode,
        llm: choice.llm,
      }),
    });
  }
  return new RetrieverQueryEngine({
    retriever,
    responseSynthesizer: getResponseSynthesizer({
      streaming: options.streaming,
      responseMode: options.mode,
      llm: choice.llm,
    }),
  });
}

/**
 * A chat engine over the workspace. The extractive answerer gets an adapter that reads chat messages, and the
 * `context` mode by default (it cannot rewrite follow-ups); other LLMs default to `condense_plus_context`.
 */
export function chatEngineFor(
  retriever: BaseRetriever,
  choice: ModelChoice,
  options: {
    streaming: boolean;
    mode: ResponseMode;
    chatMode?: ChatMode;
    systemPrompt?: string;
    /** Cite the sources (`condense_question` only: the server sends that mode with it). */
    citations?: boolean;
  },
) {
  const extractive = choice.llm instanceof ExtractiveLLM;
  return createChatEngine<boolean, ChatMode>({
    chatMode: options.chatMode ?? defaultChatMode(choice),
    streaming: options.streaming,
    responseMode: options.mode,
    retriever,
    llm: extractive ? new ExtractiveChatLLM(choice.llm as ExtractiveLLM) : choice.llm,
    systemPrompt: options.systemPrompt,
    citations: options.citations,
  });
}

/** The chat mode used when none is asked for. */
export function defaultChatMode(choice: ModelChoice): ChatMode {
  return choice.llm instanceof ExtractiveLLM ? "context" : "condense_plus_context";
}

/** Parses `--chat-mode`. */
export function chatMode(value: string | undefined): ChatMode | undefined {
  if (value === undefined || isChatMode(value)) return value;
  throw new UsageError(`unknown --chat-mode "${value}". Use one of: ${CHAT_MODES.join(", ")}.`);
}

/** Parses `--mode`. */
export function mode(value: string | undefined): ResponseMode {
  if (value === undefined) return "compact";
  if (!isResponseMode(value))
    throw new UsageError(`unknown --mode "${value}". Use one of: ${RESPONSE_MODES.join(", ")}.`);
  return value;
}

/** Parses an integer flag. */
export function int(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} needs an integer >= ${min}, got "${value}".`);
  return n;
}

/** The exit code for "no index yet". */
export function noIndex(ctx: CliContext, ws: Workspace): number {
  note(
    ctx,
    `streamdex: nothing indexed in ${ws.dir} yet. Run \`streamdex ingest <folder>\` or pass --data <folder>.`,
  );
  return EXIT.noData;
}
