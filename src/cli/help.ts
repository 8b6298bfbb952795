/** `streamdex --help`. */
export const MAIN_HELP = `streamdex: ask questions about your documents; answers stream as they are written.

Usage:
  streamdex ingest <paths...> [--persist <dir>]       index files and folders (again: only changes)
  streamdex ask "<question>" [--data <dir>] [options]  stream an answer, then list its sources
                                                       (--citations: with [n] markers)
  streamdex chat [--data <dir>] [options]              a conversation: streamed answers that remember
  streamdex serve [--host 127.0.0.1] [--port 8787]     HTTP API (SSE) and a web page

Run "streamdex <command> --help" for a command's options.

Models (flags, or the environment variables in brackets):
  --llm <spec>     openai:<model> | llamacpp:<file.gguf> | huggingface:<model dir> | extractive   [STREAMDEX_LLM]
  --embed <spec>   openai:<model> | llamacpp:<file.gguf> | huggingface:<model dir> | hash | bm25 [STREAMDEX_EMBED]
                   hash (a hashed bag of words: not semantic, for trying things out; for a real offline
                   model use huggingface:<model dir> or llamacpp:<file.gguf>); bm25: no embedding model
  --retrieval <m>  keyword | vector | hybrid [STREAMDEX_RETRIEVAL]. keyword: BM25, or Postgres full-text
                   search with --store pglite|postgres:// (no embedding model needed; with no --embed it
                   uses none); vector: embeddings (default when there is a model); hybrid: both, fused
  With nothing set: OpenAI when OPENAI_API_KEY or OPENAI_BASE_URL is set; otherwise the extractive
  answerer (it quotes the best-matching sentences) and keyword retrieval. No key, no network.

Where the index lives:
  --store <spec>   simple (default: files in --persist) | pglite (embedded Postgres in <persist>/pg) |
                   postgres://user@host:5432/db (a server with pgvector) | ann (usearch HNSW in <persist>/ann)
                   [STREAMDEX_STORE]. ann needs --embed; pglite and postgres:// without an embedding model
                   keep the text for keyword search (no pgvector needed). The password is never printed; prefer
                   PGPASSWORD or STREAMDEX_STORE to putting it on the command line.
  --table <name>   [schema.]table of pglite and postgres:// (default public.streamdex_nodes) [STREAMDEX_TABLE]

Exit codes: 0 ok, 1 failure (provider, database, file system), 2 bad usage, 3 nothing indexed, 130 interrupted.
`;

/** Per-command help. */
export const COMMAND_HELP: Record<string, string> = {
  ingest: `Usage: streamdex ingest <paths...> [options]

Reads .txt .md .json .html .pdf .docx .csv files (folders recursively) into the index. Run it again and
only new or changed files are read and embedded; removed files leave the index.

Options:
  --persist <dir>        index directory (default: .streamdex)
  --embed <spec>         retrieval model (see streamdex --help)
  --retrieval <mode>     keyword (with no --embed: index without embeddings) | vector | hybrid
  --store <spec>         simple (default) | pglite | postgres://user@host/db | ann (see streamdex --help)
  --table <name>         [schema.]table of pglite and postgres:// (default public.streamdex_nodes)
  --chunk-size <n>       tokens per chunk (default 1024)
  --chunk-overlap <n>    tokens shared by neighbouring chunks (default 200)
  --exclude <glob>       files or folders to leave out, repeatable: "*.{log,tmp}", node_modules, drafts/**
                         (a glob without / matches at any depth). Kept with the index for later refreshes;
                         given again, it replaces the kept list
  --rebuild              discard the index and build it again (drops the --table of postgres://;
                         only a table with streamdex's columns)
  --verbose              stack traces on errors
`,
  ask: `Usage: streamdex ask "<question>" [options]

Streams the answer to the terminal as it is written, then lists the sources. Ctrl-C stops the model.
A reasoning model's reasoning is shown dimmed above the answer on a terminal; when stdout is piped it
holds only the answer (add --reasoning for the reasoning too, as plain text).

Options:
  --data <dir>           folder to answer from (indexed or updated first)
  --persist <dir>        index directory (default: .streamdex)
  --top-k <n>            chunks to retrieve (default 2)
  --ef-search <n>        pglite / postgres://: HNSW candidates per query, 1-1000 (default: 2 x top-k,
                         at least 100); higher finds the true nearest chunks more often, a little slower
  --mode <mode>          refine | compact (default) | tree_summarize | simple_summarize | accumulate |
                         compact_accumulate | generation | no_text | context_only
  --no-stream            print the answer when it is complete
  --json                 print one JSON object: question, answer, reasoning, sources, usage, timings
                         (usage.reasoningTokens when the provider reports them)
  --timings              print where the time went on stderr: retrieval, first token, total, tokens/s
  --citations            cite the sources: [n] markers in the answer as it streams, then the sources
                         numbered the same way (file, page or lines, first words; "not cited" ones marked,
                         a cited number with no source flagged). With --json: citations and numbered sources
  --no-reasoning         never show the model's reasoning (nor put it in --json)
  --reasoning            show the reasoning even when stdout is not a terminal
  --llm <spec>           the model that answers (see streamdex --help)
  --embed <spec>         the retrieval model (must match the index's)
  --retrieval <mode>     keyword | vector | hybrid (default: vector with an embedding model, else keyword)
  --store, --table       where the index lives (must match the index's; see streamdex --help)
  --verbose              stack traces on errors
`,
  chat: `Usage: streamdex chat [options]

A conversation with your documents on the terminal: type a message, the answer streams as it is written,
then its sources in one line. Earlier turns are remembered for the session (follow-ups like "and then?"
work; a model's reasoning is not). Ctrl-C during an answer stops it; Ctrl-C at the prompt, Ctrl-D or
"exit" leaves. Reasoning is shown as in ask: dimmed above each answer on a terminal.

Options:
  --data <dir>           folder to answer from (indexed or updated first)
  --persist <dir>        index directory (default: .streamdex)
  --chat-mode <mode>     condense_plus_context (default) | context (default with the extractive answerer) |
                         condense_question | simple
  --system <text>        a system prompt sent with every message
  --no-reasoning         never show the model's reasoning
  --reasoning            show the reasoning even when stdout is not a terminal
  --top-k <n>            chunks to retrieve per message (default 2)
  --ef-search <n>        pglite / postgres://: HNSW candidates per query, 1-1000 (default: 2 x top-k,
                         at least 100)
  --mode <mode>          response mode of condense_question (see streamdex ask --help)
  --llm <spec>           the model that answers (see streamdex --help)
  --embed <spec>         the retrieval model (must match the index's)
  --retrieval <mode>     keyword | vector | hybrid (default: vector with an embedding model, else keyword)
  --store, --table       where the index lives (must match the index's; see streamdex --help)
  --verbose              stack traces on errors
`,
  serve: `Usage: streamdex serve [options]

Serves POST /api/query (text/event-stream: sources, reasoning..., delta..., usage, done), POST /api/chat
(conversations with memory: { message, conversationId } as the same events, or Vercel AI SDK UI message
streams), OpenAI's POST /v1/chat/completions and GET /v1/models (model "streamdex"; the token is the
API key), GET /healthz and a web page at /. Binds 127.0.0.1 unless --host says otherwise;
binding elsewhere needs a token.

Options:
  --host <host>          interface to bind (default 127.0.0.1)
  --port <n>             port (default 8787; 0 picks a free one)
  --token <token>        require "Authorization: Bearer <token>" [STREAMDEX_TOKEN]
  --cors <origins>       allow these browser origins (comma-separated); off by default
  --data <dir>           folder to answer from (indexed or updated first)
  --persist <dir>        index directory (default: .streamdex)
  --llm, --embed         models (see streamdex --help)
  --retrieval <mode>     keyword | vector | hybrid (see streamdex --help)
  --ef-search <n>        pglite / postgres://: HNSW candidates per query, 1-1000 (default: 2 x top-k,
                         at least 100)
  --store, --table       where the index lives (see streamdex --help); with postgres://… the
                         conversations live there too (shared by several serve processes)
  --verbose              stack traces on errors
`,
};
