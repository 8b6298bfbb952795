import type { BaseEmbedding } from "../embeddings/base-embedding.js";
import { MockEmbedding } from "../embeddings/mock-embedding.js";
import { StreamdexError } from "../errors/index.js";
import { ExtractiveLLM } from "../llms/extractive-llm.js";
import type { LLM } from "../llms/types.js";

/** How `--embed hash` is offered: what it is, and the real offline models to use instead. */
export const HASH_CAVEAT =
  "hash (a hashed bag of words: not semantic, for trying things out; a real offline model: " +
  "huggingface:<model dir> or llamacpp:<file.gguf>)";

/** A usage or configuration problem the command reports in one line (exit code 2). */
export class UsageError extends StreamdexError {
  constructor(message: string) {
    super(message, { code: "usage" });
  }
}

/**
 * The embedding model: a model's embeddings, or none (`bm25`, the recorded spec of an index without embeddings:
 * keyword search only, BM25 on the simple store, Postgres full-text search on pglite and postgres://).
 */
export type EmbeddingChoice =
  | { kind: "embedding"; spec: string; model: BaseEmbedding }
  | { kind: "bm25"; spec: "bm25" };

/**
 * How answers find their chunks (`--retrieval`): `keyword` (BM25 on the simple store, Postgres full-text search on
 * pglite and postgres://; no embedding model needed), `vector` (embeddings), `hybrid` (both, fused by reciprocal
 * rank).
 */
export type RetrievalMode = "keyword" | "vector" | "hybrid";

/** The values `--retrieval` takes. */
export const RETRIEVAL_MODES: readonly RetrievalMode[] = ["hybrid", "vector", "keyword"];

/** The models a command runs with, and the one-line announcements of defaults it chose. */
export interface ModelChoice {
  llm: LLM;
  llmSpec: string;
  embedding: EmbeddingChoice;
  /** `--retrieval`; default `vector` with an embedding model, `keyword` without one. */
  retrieval: RetrievalMode;
  notices: string[];
}

/** The flags {@link chooseModels} reads. */
export interface ModelFlags {
  llm?: string;
  embed?: string;
  retrieval?: string;
  /** Whether the index lives in Postgres (pglite, postgres://): keyword search is then SQL full-text search. */
  postgres?: boolean;
}

/** Environment the choice reads (injectable for tests). */
export type Env = Record<string, string | undefined>;

/**
 * Picks the LLM and the retrieval model from `--llm` / `STREAMDEX_LLM` and `--embed` / `STREAMDEX_EMBED`:
 * `openai:<model>`, `llamacpp:<file.gguf>`, `huggingface:<model dir>`, `extractive` (LLM) and `openai:<model>`,
 * `llamacpp:<file.gguf>`, `huggingface:<model dir>`, `hash` (not semantic), `bm25` (no embedding model). With
 * nothing set: OpenAI when `OPENAI_API_KEY` or `OPENAI_BASE_URL` is present; otherwise the extractive answerer and
 * keyword search, each announced in one line. `--retrieval` / `STREAMDEX_RETRIEVAL` picks keyword, vector or
 * hybrid retrieval (`keyword` with no `--embed` chooses no embedding model; `vector` and `hybrid` need one).
 */
export async function chooseModels(flags: ModelFlags, env: Env): Promise<ModelChoice> {
  const notices: string[] = [];
  const openAIReachable = Boolean(env.OPENAI_API_KEY || env.OPENAI_BASE_URL);
  let llmSpec = flags.llm ?? env.STREAMDEX_LLM;
  if (!llmSpec) {
    if (openAIReachable) {
      llmSpec = "openai:gpt-4o-mini";
      notices.push(
        `LLM: OpenAI gpt-4o-mini (${env.OPENAI_BASE_URL ?? "OPENAI_API_KEY is set"}); change with --llm.`,
      );
    } else {
      llmSpec = "extractive";
      notices.push(
        "LLM: none configured, so answers quote the best-matching sentences (extractive). Set OPENAI_API_KEY or --llm for a model.",
      );
    }
  }
  const asked = parseRetrieval(flags.retrieval ?? env.STREAMDEX_RETRIEVAL);
  const keywordSearch = flags.postgres
    ? "keyword search with Postgres full-text search"
    : "BM25 keyword search";
  let embedSpec = flags.embed ?? env.STREAMDEX_EMBED;
  if (!embedSpec) {
    if (asked === "keyword") {
      embedSpec = "bm25";
      notices.push(`Retrieval: ${keywordSearch} (--retrieval keyword), no embedding model.`);
    } else if (openAIReachable) {
      embedSpec = "openai:text-embedding-3-small";
      notices.push("Retrieval: OpenAI text-embedding-3-small embeddings; change with --embed.");
    } else {
      embedSpec = "bm25";
      notices.push(
        `Retrieval: no embedding model reachable, so ${keywordSearch}. Set OPENAI_API_KEY or --embed for embeddings.`,
      );
    }
  }
  const withoutModel = splitSpec(embedSpec)[0] === "bm25";
  const retrieval = asked ?? (withoutModel ? "keyword" : "vector");
  if (retrieval !== "keyword" && withoutModel) {
    throw new UsageError(
      `--retrieval ${retrieval} needs an embedding model, and there is none (${
        (flags.embed ?? env.STREAMDEX_EMBED)
          ? "--embed bm25"
          : "no --embed, and no OPENAI_API_KEY or OPENAI_BASE_URL"
      }): pass --embed <spec> (openai:<model>, huggingface:<model dir>, llamacpp:<file.gguf>, or ${HASH_CAVEAT}), ` +
        "or use --retrieval keyword.",
    );
  }
  return {
    llm: await makeLLM(llmSpec, env),
    llmSpec,
    embedding: await makeEmbedding(embedSpec, env),
    retrieval,
    notices,
  };
}

/** Parses `--retrieval` (or `STREAMDEX_RETRIEVAL`); undefined when neither is set. */
export function parseRetrieval(value: string | undefined): RetrievalMode | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const mode = value.trim().toLowerCase();
  if ((RETRIEVAL_MODES as readonly string[]).includes(mode)) return mode as RetrievalMode;
  throw new UsageError(`unknown --retrieval "${value}". Use one of: ${RETRIEVAL_MODES.join(", ")}.`);
}

async function makeLLM(spec: string, env: Env): Promise<LLM> {
  const [kind, arg] = splitSpec(spec);
  switch (kind) {
    case "extractive":
      return new ExtractiveLLM();
    case "openai": {
      const { OpenAI } = await import("../providers/openai/index.js");
      requireOpenAIConfig(env, "--llm openai");
      return new OpenAI({
        model: arg || "gpt-4o-mini",
        apiKey: env.OPENAI_API_KEY,
        baseURL: env.OPENAI_BASE_URL,
      });
    }
    case "llamacpp": {
      if (!arg)
        throw new UsageError(
          "--llm llamacpp needs a model: llamacpp:<file.gguf> (or llamacpp:hf:<user>/<repo>).",
        );
      const { LlamaCpp } = await import("../providers/llamacpp/index.js");
      return new LlamaCpp({ modelPath: arg });
    }
    case "huggingface": {
      if (!arg) throw new UsageError("--llm huggingface needs a model: huggingface:<model dir or hub id>.");
      const { HuggingFaceLLM } = await import("../providers/huggingface/index.js");
      return new HuggingFaceLLM({ model: arg });
    }
    default:
      throw new UsageError(
        `unknown LLM "${spec}". Use openai:<model>, llamacpp:<file.gguf>, huggingface:<model dir> or extractive.`,
      );
  }
}

async function makeEmbedding(spec: string, env: Env): Promise<EmbeddingChoice> {
  const [kind, arg] = splitSpec(spec);
  switch (kind) {
    case "bm25":
      return { kind: "bm25", spec: "bm25" };
    case "hash":
      return {
        kind: "embedding",
        spec: `hash:${arg || "256"}`,
        model: new MockEmbedding({ dimensions: Number(arg) || 256 }),
      };
    case "openai": {
      const { OpenAIEmbedding } = await import("../providers/openai/index.js");
      requireOpenAIConfig(env, "--embed openai");
      const model = arg || "text-embedding-3-small";
      return {
        kind: "embedding",
        spec: `openai:${model}`,
        model: new OpenAIEmbedding({ model, apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL }),
      };
    }
    case "llamacpp": {
      if (!arg)
        throw new UsageError(
          "--embed llamacpp needs a model: llamacpp:<file.gguf> (an embedding GGUF such as nomic-embed-text).",
        );
      const { LlamaCppEmbedding } = await import("../providers/llamacpp/index.js");
      return { kind: "embedding", spec: `llamacpp:${arg}`, model: new LlamaCppEmbedding({ modelPath: arg }) };
    }
    case "huggingface": {
      if (!arg) throw new UsageError("--embed huggingface needs a model: huggingface:<model dir or hub id>.");
      const { HuggingFaceEmbedding } = await import("../providers/huggingface/index.js");
      return {
        kind: "embedding",
        spec: `huggingface:${arg}`,
        model: new HuggingFaceEmbedding({ model: arg }),
      };
    }
    default:
      throw new UsageError(
        `unknown embedding model "${spec}". Use openai:<model>, huggingface:<model dir>, llamacpp:<file.gguf>, ` +
          `bm25 or ${HASH_CAVEAT}.`,
      );
  }
}

function splitSpec(spec: string): [string, string] {
  const i = spec.indexOf(":");
  return i < 0
    ? [spec.trim().toLowerCase(), ""]
    : [spec.slice(0, i).trim().toLowerCase(), spec.slice(i + 1).trim()];
}

function requireOpenAIConfig(env: Env, what: string): void {
  if (!env.OPENAI_API_KEY && !env.OPENAI_BASE_URL) {
    throw new UsageError(
      `${what} needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local OpenAI-compatible server such as Ollama).`,
    );
  }
}
