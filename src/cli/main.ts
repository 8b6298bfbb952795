import { parseArgs } from "node:util";
import { AbortError, InvalidArgumentError, StreamdexError } from "../errors/index.js";
import { messageOf } from "../errors/message-of.js";
import { redactSecrets } from "../errors/redact.js";
import { type AskFlags, ask } from "./commands/ask.js";
import { type ChatFlags, chat } from "./commands/chat.js";
import { type IngestFlags, ingest } from "./commands/ingest.js";
import { type ServeFlags, serve } from "./commands/serve.js";
import { type CliContext, EXIT } from "./context.js";
import { COMMAND_HELP, MAIN_HELP } from "./help.js";
import { UsageError } from "./models.js";
import { storeSecrets } from "./stores.js";

const SHARED = {
  persist: { type: "string" },
  llm: { type: "string" },
  embed: { type: "string" },
  retrieval: { type: "string" },
  store: { type: "string" },
  table: { type: "string" },
  "chunk-size": { type: "string" },
  "chunk-overlap": { type: "string" },
  rebuild: { type: "boolean" },
  verbose: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const OPTIONS = {
  ingest: { ...SHARED, exclude: { type: "string", multiple: true } },
  ask: {
    ...SHARED,
    data: { type: "string" },
    "top-k": { type: "string" },
    "ef-search": { type: "string" },
    mode: { type: "string" },
    "no-stream": { type: "boolean" },
    json: { type: "boolean" },
    reasoning: { type: "boolean" },
    "no-reasoning": { type: "boolean" },
    timings: { type: "boolean" },
    citations: { type: "boolean" },
  },
  chat: {
    ...SHARED,
    data: { type: "string" },
    "top-k": { type: "string" },
    "ef-search": { type: "string" },
    mode: { type: "string" },
    "chat-mode": { type: "string" },
    system: { type: "string" },
    reasoning: { type: "boolean" },
    "no-reasoning": { type: "boolean" },
  },
  serve: {
    ...SHARED,
    data: { type: "string" },
    "ef-search": { type: "string" },
    host: { type: "string" },
    port: { type: "string" },
    token: { type: "string" },
    cors: { type: "string" },
  },
} as const;

/**
 * Runs the `streamdex` command with `argv` (without `node` and the script) and returns the exit code. Errors are
 * one readable line on stderr; stack traces only with `--verbose`.
 */
export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    const topic = command === "help" ? rest[0] : undefined;
    ctx.stdout.write(topic && COMMAND_HELP[topic] ? COMMAND_HELP[topic] : MAIN_HELP);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === "--version" || command === "-v") {
    const { createRequire } = await import("node:module");
    const pkg = createRequire(import.meta.url)("../../package.json") as { version: string };
    ctx.stdout.write(`${pkg.version}\n`);
    return EXIT.ok;
  }
  const verbose = rest.includes("--verbose");
  try {
    if (!(command in OPTIONS)) throw new UsageError(`unknown command "${command}". Run streamdex --help.`);
    const name = command as keyof typeof OPTIONS;
    const { values, positionals } = parse(name, rest);
    if (values.help) {
      ctx.stdout.write(COMMAND_HELP[name]!);
      return EXIT.ok;
    }
    switch (name) {
      case "ingest":
        return await ingest(ctx, positionals, values as IngestFlags);
      case "ask":
        if (positionals.length > 1) {
          throw new UsageError(
            'put the question in quotes: streamdex ask "What did the author do growing up?"',
          );
        }
        return await ask(ctx, positionals[0], values as AskFlags);
      case "chat":
        if (positionals.length > 0)
          throw new UsageError("chat takes no arguments: type your messages after it starts.");
        return await chat(ctx, values as ChatFlags);
      case "serve":
        return await serve(ctx, values as ServeFlags);
    }
  } catch (error) {
    return report(ctx, error, verbose, storeSecrets(rest, ctx.env));
  }
}

function parse(name: keyof typeof OPTIONS, args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS[name], allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\s+/g, " ")} Run streamdex ${name} --help.`);
  }
}

/** Prints `error` in one line (the stack with `--verbose`), with every password of `--store` replaced by `[redacted]`. */
function report(ctx: CliContext, error: unknown, verbose: boolean, secrets: string[]): number {
  if (
    ctx.interrupt.aborted &&
    (error instanceof AbortError || (error instanceof Error && error.name === "AbortError"))
  ) {
    ctx.stderr.write("\nstreamdex: interrupted; the model request was stopped.\n");
    return EXIT.interrupted;
  }
  const message = messageOf(error);
  ctx.stderr.write(`streamdex: ${redactSecrets(oneLine(message), { secrets, minSecretLength: 4 })}\n`);
  if (verbose && error instanceof Error && error.stack) {
    ctx.stderr.write(`${redactSecrets(error.stack, { secrets, minSecretLength: 4 })}\n`);
  }
  if (error instanceof UsageError || error instanceof InvalidArgumentError) return EXIT.usage;
  if (error instanceof StreamdexError && error.code === "reader_error") return EXIT.noData;
  return EXIT.failure;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
