import type { ChatMode } from "../../engines/chat/types.js";
import { isChatMode } from "../../engines/chat/types.js";
import { InvalidArgumentError } from "../../errors/index.js";
import { isResponseMode } from "../../synthesizers/get-response-synthesizer.js";
import type { ResponseMode } from "../../synthesizers/types.js";
import { describe, optionalInteger } from "../../utils/validate.js";
import { MAX_TOP_K } from "../options.js";
import type { ChatEngineFactory, EngineFactory } from "../types.js";

/**
 * One model of the OpenAI-compatible API (`model` in a request, listed by `GET /v1/models`): a preset over the
 * server's engine factories, or over factories of its own (another index, another LLM).
 */
export interface OpenAIModelOptions {
  /** Nodes to retrieve (default: the server's `defaultTopK`, else the engine's). */
  topK?: number;
  /** Response mode (default: the server's `defaultMode`, else the engine's). */
  mode?: ResponseMode;
  /**
   * Chat mode of a request with history (default `"condense_plus_context"`; a citing request always uses
   * `"condense_question"`, the mode that cites).
   */
  chatMode?: ChatMode;
  /** Cite the sources (`[n]` markers, a `citations` array) unless the request says `"citations": false`. */
  citations?: boolean;
  /** Append a markdown "Sources" list to the answer's content, for UIs that show only the text. */
  sourcesFooter?: boolean;
  /** Builds this model's query engine (default: the server's `createEngine`). */
  createEngine?: EngineFactory;
  /** Builds this model's chat engine (default: the server's `createChatEngine`). */
  createChatEngine?: ChatEngineFactory;
  /** `owned_by` in `GET /v1/models` (default `"streamdex"`). */
  ownedBy?: string;
}

/** Options of the OpenAI-compatible API (`POST /v1/chat/completions`, `GET /v1/models`). */
export interface OpenAICompatOptions {
  /** The models, by id (default `{ streamdex: {} }`: the server's engines). */
  models?: Record<string, OpenAIModelOptions>;
  /** The model of a request that names none (default: the first of `models`). */
  defaultModel?: string;
  /** Default of every model's `citations` (default `false`). */
  citations?: boolean;
  /** Default of every model's `sourcesFooter` (default `false`). */
  sourcesFooter?: boolean;
  /** Most messages a request may send (default 500). */
  maxMessages?: number;
  /** Largest request body, in bytes (default 1 MiB: chat clients send the whole conversation each time). */
  maxBodyBytes?: number;
}

/** One model, with the server-wide defaults applied. */
export interface ResolvedModel {
  id: string;
  topK: number | undefined;
  mode: ResponseMode | undefined;
  chatMode: ChatMode;
  citations: boolean;
  sourcesFooter: boolean;
  createEngine: EngineFactory | undefined;
  createChatEngine: ChatEngineFactory | undefined;
  ownedBy: string;
}

/** {@link OpenAICompatOptions}, checked, with defaults applied. */
export interface ResolvedOpenAIOptions {
  models: Map<string, ResolvedModel>;
  defaultModel: string;
  maxMessages: number;
  maxBodyBytes: number;
}

/** The model a request without `model` gets when none is configured. */
export const DEFAULT_MODEL_ID = "streamdex";

const MODEL_ID = /^[A-Za-z0-9._:/-]{1,128}$/;

/** Checks the options and applies defaults; throws {@link InvalidArgumentError} on a bad one, at construction. */
export function resolveOpenAIOptions(options: OpenAICompatOptions = {}): ResolvedOpenAIOptions {
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError("openai", `expected an object or false, got ${describe(options)}.`);
  }
  const given = options.models ?? { [DEFAULT_MODEL_ID]: {} };
  if (typeof given !== "object" || given === null || Object.keys(given).length === 0) {
    throw new InvalidArgumentError("openai.models", "expected an object with at least one model by id.");
  }
  const models = new Map<string, ResolvedModel>();
  for (const [id, model] of Object.entries(given)) {
    models.set(id, resolveModel(id, model, options));
  }
  const defaultModel = options.defaultModel ?? models.keys().next().value!;
  if (!models.has(defaultModel)) {
    throw new InvalidArgumentError("openai.defaultModel", `${JSON.stringify(defaultModel)} is not a model.`);
  }
  return {
    models,
    defaultModel,
    maxMessages: optionalInteger("openai.maxMessages", options.maxMessages, 1, 500),
    maxBodyBytes: optionalInteger("openai.maxBodyBytes", options.maxBodyBytes, 1, 1024 * 1024),
  };
}

function resolveModel(id: string, model: OpenAIModelOptions, options: OpenAICompatOptions): ResolvedModel {
  const name = `openai.models[${JSON.stringify(id)}]`;
  if (!MODEL_ID.test(id)) {
    throw new InvalidArgumentError(name, "a model id is 1 to 128 letters, digits or . _ : / -.");
  }
  if (typeof model !== "object" || model === null) {
    throw new InvalidArgumentError(name, `expected an object, got ${describe(model)}.`);
  }
  const { topK, mode, chatMode, createEngine, createChatEngine, ownedBy } = model;
  if (topK !== undefined && optionalInteger(`${name}.topK`, topK, 1, 1) > MAX_TOP_K) {
    throw new InvalidArgumentError(`${name}.topK`, `must be <= ${MAX_TOP_K}, got ${topK}.`);
  }
  if (mode !== undefined && !isResponseMode(mode)) {
    throw new InvalidArgumentError(`${name}.mode`, `unknown response mode ${JSON.stringify(mode)}.`);
  }
  if (chatMode !== undefined && !isChatMode(chatMode)) {
    throw new InvalidArgumentError(`${name}.chatMode`, `unknown chat mode ${JSON.stringify(chatMode)}.`);
  }
  for (const [key, value] of [
    ["createEngine", createEngine],
    ["createChatEngine", createChatEngine],
  ] as const) {
    if (value !== undefined && typeof value !== "function") {
      throw new InvalidArgumentError(`${name}.${key}`, `expected a function, got ${describe(value)}.`);
    }
  }
  return {
    id,
    topK,
    mode,
    chatMode: chatMode ?? "condense_plus_context",
    citations: flag(`${name}.citations`, model.citations ?? options.citations),
    sourcesFooter: flag(`${name}.sourcesFooter`, model.sourcesFooter ?? options.sourcesFooter),
    createEngine,
    createChatEngine,
    ownedBy: typeof ownedBy === "string" && ownedBy !== "" ? ownedBy : "streamdex",
  };
}

function flag(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean")
    throw new InvalidArgumentError(name, `expected a boolean, got ${describe(value)}.`);
  return value;
}
