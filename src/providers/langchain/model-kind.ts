import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { BaseLLM as LangChainBaseLLM } from "@langchain/core/language_models/llms";
import { InvalidArgumentError } from "../../errors/index.js";
import { describe } from "../../utils/validate.js";

/**
 * A model {@link LangChainLLM} can wrap: any `@langchain/core` chat model (`BaseChatModel`: `ChatOpenAI`,
 * `ChatAnthropic`, `ChatOllama`...) or text-completion LLM (`BaseLLM`/`LLM`).
 */
export type LangChainModel = BaseChatModel | LangChainBaseLLM;

/** What {@link inspectLangChainModel} found out about a model, without calling it. */
export interface LangChainModelInfo {
  /** `"chat"` for chat models (messages in, a message out), `"llm"` for text-completion models. */
  kind: "chat" | "llm";
  /** The model's class name, e.g. `"ChatOpenAI"`. */
  className: string;
  /** The model name (`model`, `modelName`, else `_llmType()`), e.g. `"gpt-4o-mini"`. */
  modelName: string;
  /** Whether `.stream()` really streams (see {@link implementsStreaming}). */
  streams: boolean;
  /** Why it does not stream, for the error message; undefined when it streams. */
  whyNoStreaming: string | undefined;
}

const BASE_NAMES = { chat: "BaseChatModel", llm: "BaseLLM" } as const;

/**
 * Checks that `value` is a LangChain chat model or LLM and describes it. Works across duplicate copies of
 * `@langchain/core` in one dependency tree (matched by base-class name when `instanceof` fails).
 *
 * @throws {InvalidArgumentError} for anything else (a plain object, a chain, a `RunnableBinding`...).
 */
export function inspectLangChainModel(value: unknown): LangChainModelInfo {
  const kind = modelKind(value);
  if (kind === undefined) {
    const runnable = isObject(value) && value.lc_runnable === true;
    throw new InvalidArgumentError(
      "llm",
      `expected a LangChain chat model (BaseChatModel, e.g. ChatOpenAI) or LLM (BaseLLM) from @langchain/core, ` +
        `got ${describe(value)}.` +
        (runnable
          ? " Runnables such as chains or model.bind()/withConfig() bindings are not models: pass the model itself."
          : ""),
    );
  }
  const model = value as LangChainModel;
  const className = model.constructor?.name || "LangChain model";
  const disabled = kind === "chat" && (model as BaseChatModel).disableStreaming === true;
  const overrides = implementsStreaming(model, kind);
  const whyNoStreaming = disabled
    ? `${className} has disableStreaming set (or was built with streaming: false)`
    : overrides
      ? undefined
      : `${className} does not implement _streamResponseChunks, so LangChain's .stream() would return the whole ` +
        "answer as one chunk";
  return {
    kind,
    className,
    modelName: modelNameOf(model),
    streams: whyNoStreaming === undefined,
    whyNoStreaming,
  };
}

/**
 * Whether the model's class overrides `_streamResponseChunks`, the method LangChain's `.stream()` needs to really
 * stream (without it LangChain silently falls back to `invoke()` and yields one big chunk). Decided without
 * calling the model: the prototype chain is walked to the object that owns the method in effect, which must not
 * be `BaseChatModel.prototype` / `BaseLLM.prototype` (of this or any other copy of `@langchain/core`).
 */
export function implementsStreaming(model: object, kind: "chat" | "llm"): boolean {
  const base: object = kind === "chat" ? BaseChatModel.prototype : LangChainBaseLLM.prototype;
  for (let proto: object | null = model; proto !== null; proto = Object.getPrototypeOf(proto)) {
    if (!Object.hasOwn(proto, "_streamResponseChunks")) continue;
    if (proto === base) return false;
    if (typeof (proto as { _streamResponseChunks?: unknown })._streamResponseChunks !== "function")
      return false;
    return !isBasePrototype(proto, BASE_NAMES[kind]);
  }
  return false;
}

function modelKind(value: unknown): "chat" | "llm" | undefined {
  if (value instanceof BaseChatModel) return "chat";
  if (value instanceof LangChainBaseLLM) return "llm";
  // Another copy of @langchain/core: recognise the base class by name, and require the methods we call.
  if (!isObject(value) || typeof value.stream !== "function" || typeof value.invoke !== "function")
    return undefined;
  for (let proto = Object.getPrototypeOf(value); proto !== null; proto = Object.getPrototypeOf(proto)) {
    if (isBasePrototype(proto, BASE_NAMES.chat)) return "chat";
    if (isBasePrototype(proto, BASE_NAMES.llm)) return "llm";
  }
  return undefined;
}

function isBasePrototype(proto: object, name: string): boolean {
  const ctor = (proto as { constructor?: unknown }).constructor;
  return typeof ctor === "function" && ctor.prototype === proto && ctor.name === name;
}

function modelNameOf(model: LangChainModel): string {
  const fields = model as unknown as { model?: unknown; modelName?: unknown };
  for (const name of [fields.model, fields.modelName]) {
    if (typeof name === "string" && name.trim() !== "") return name;
  }
  try {
    const type = model._llmType();
    if (typeof type === "string" && type !== "") return type;
  } catch {
    // fall through
  }
  return model.constructor?.name || "langchain";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
