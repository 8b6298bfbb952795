import type { PgChatStore } from "../../memory/chat-store/pg-chat-store.js";
import type { BaseRetriever } from "../../retrievers/types.js";
import type { ChatEngineFactory, EngineFactory } from "../../server/types.js";
import { onAbort } from "../../utils/abort.js";
import { type CliContext, EXIT, note } from "../context.js";
import type { ModelChoice } from "../models.js";
import { chooseStore, displayUrl } from "../stores.js";
import type { Workspace } from "../workspace.js";
import {
  chatEngineFor,
  defaultChatMode,
  describeSync,
  engineFor,
  type IndexFlags,
  int,
  models,
  noIndex,
  syncWithProgress,
  withIndex,
} from "./shared.js";

/** Flags of `serve`. */
export interface ServeFlags extends IndexFlags {
  data?: string;
  host?: string;
  port?: string;
  token?: string;
  cors?: string;
}

/**
 * `streamdex serve`: the HTTP API (`POST /api/query` as SSE, `POST /api/chat`: conversations with memory, as SSE or
 * for AI SDK clients; OpenAI's `POST /v1/chat/completions` and `GET /v1/models`) and the web page,
 * bound to 127.0.0.1 unless told otherwise (then a token is required). Runs until Ctrl-C.
 */
export async function serve(ctx: CliContext, flags: ServeFlags): Promise<number> {
  const port = int("port", flags.port, 8787, 0);
  const choice = await models(ctx, flags);
  return withIndex(ctx, flags, choice, { writes: false, data: flags.data }, (ws, unlock) =>
    run(ctx, ws, flags, port, choice, unlock),
  );
}

async function run(
  ctx: CliContext,
  ws: Workspace,
  flags: ServeFlags,
  port: number,
  choice: ModelChoice,
  unlock: () => Promise<void>,
): Promise<number> {
  if (flags.data !== undefined) note(ctx, describeSync(await syncWithProgress(ctx, ws, [flags.data]), ws));
  else if (ws.roots.length > 0)
    await ws.sync(ws.roots, {}, { missingRoots: "remove", signal: ctx.interrupt });
  await unlock(); // serving only reads: other commands may update the index meanwhile
  if (ws.isEmpty) return noIndex(ctx, ws);

  const retrievers = new Map<number, BaseRetriever>();
  const retrieverFor = (topK: number | undefined) => {
    const k = topK ?? 2;
    let retriever = retrievers.get(k);
    if (!retriever) {
      retriever = ws.retriever(k);
      retrievers.set(k, retriever);
    }
    return retriever;
  };
  const createEngine: EngineFactory = ({ topK, mode, streaming, citations }) =>
    engineFor(retrieverFor(topK), choice, { streaming, mode: mode ?? "compact", citations });
  // The server keeps one memory per conversation and passes it to chat(), so engines are cheap to build.
  const createChatEngine: ChatEngineFactory = ({ topK, mode, chatMode, streaming, citations }) =>
    chatEngineFor(retrieverFor(topK), choice, { streaming, mode: mode ?? "compact", chatMode, citations });
  const { startServer } = await import("../../server/index.js");
  // --store postgres://…: conversations live in the same database, so several `serve` processes share them.
  const store = chooseStore(flags, ctx.env);
  let chatStore: PgChatStore | undefined;
  if (store.kind === "postgres") {
    const { PgChatStore } = await import("../../memory/chat-store/pg-chat-store.js");
    chatStore = new PgChatStore({ connectionString: store.connectionString!, schemaName: store.schema });
    note(
      ctx,
      `Conversations: Postgres ${displayUrl(store.connectionString!)}, table ${store.schema}.streamdex_chats.`,
    );
  }
  const server = await startServer({
    createEngine,
    createChatEngine,
    ...(chatStore ? { chatStore } : {}),
    host: flags.host ?? "127.0.0.1",
    port,
    token: flags.token ?? ctx.env.STREAMDEX_TOKEN,
    ...(flags.cors ? { cors: { origin: flags.cors.split(",").map((o) => o.trim()) } } : {}),
    logger: (line: string) => note(ctx, line),
    // One model, `streamdex`, in /api/chat's default chat mode (the extractive answerer: `context`, since its
    // condensed questions would be extracts).
    openai: { models: { streamdex: { chatMode: defaultChatMode(choice) } } },
  });
  ctx.stdout.write(
    `streamdex is answering on ${server.url} (page at /, API at /api/query and /api/chat, OpenAI API at /v1). Ctrl-C to stop.\n`,
  );
  await new Promise<void>((resolve) => onAbort(ctx.interrupt, () => resolve()));
  await server.close();
  await chatStore?.close();
  return EXIT.ok;
}
