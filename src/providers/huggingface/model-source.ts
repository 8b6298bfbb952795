import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, isAbsolute, join, resolve } from "node:path";
import { InvalidArgumentError } from "../../errors/index.js";
import { ModelFileMissingError } from "./errors.js";

/** ONNX weight precisions transformers.js can load (`onnx/model{suffix}.onnx`); `"auto"` lets it choose. */
export type HuggingFaceDtype =
  | "auto"
  | "fp32"
  | "fp16"
  | "q8"
  | "int8"
  | "uint8"
  | "q4"
  | "bnb4"
  | "q4f16"
  | "q2"
  | "q2f16"
  | "q1"
  | "q1f16";

/** The file suffix transformers.js appends for each dtype. */
const DTYPE_SUFFIX: Record<Exclude<HuggingFaceDtype, "auto">, string> = {
  fp32: "",
  fp16: "_fp16",
  q8: "_quantized",
  int8: "_int8",
  uint8: "_uint8",
  q4: "_q4",
  bnb4: "_bnb4",
  q4f16: "_q4f16",
  q2: "_q2",
  q2f16: "_q2f16",
  q1: "_q1",
  q1f16: "_q1f16",
};

/** What streamdex reads from a local model directory before transformers.js loads it. */
export interface LocalModelFacts {
  /** config.json's `model_type` (`""` when absent). */
  modelType: string;
  /** Positions the model can attend to (`n_positions`, `max_position_embeddings`…), when config.json says. */
  contextLength: number | undefined;
  /** Whether the tokenizer ships a chat template (tokenizer_config.json or chat_template.jinja). */
  hasChatTemplate: boolean;
  /** chat_template.jinja's text, when the template lives there (transformers.js's tokenizer does not read it). */
  chatTemplateFile: string | undefined;
}

/** A model as transformers.js is given it. */
export interface ModelSource {
  /** An absolute directory, or a Hub id such as `"onnx-community/Qwen2.5-0.5B-Instruct"`. */
  ref: string;
  /** Whether `ref` is a local directory (always loaded with remote loading off). */
  local: boolean;
  /** A short display name: the directory's or the id's last part. */
  name: string;
  /** For local directories, what their files say. */
  facts: LocalModelFacts | undefined;
}

/**
 * Decides whether `model` is a local directory or a Hub id, and for a directory checks that the files
 * transformers.js will need are there: config.json, tokenizer.json, tokenizer_config.json and the ONNX file for
 * `dtype`. Throws {@link ModelFileMissingError} naming the first missing file, or {@link InvalidArgumentError}
 * for a path that does not exist.
 */
export function resolveModelSource(model: string, dtype: HuggingFaceDtype | undefined): ModelSource {
  const path = resolve(model);
  const looksLikePath = isAbsolute(model) || /^(\.{1,2}|~)([/\\]|$)/.test(model) || model.includes("\\");
  if (!existsSync(path)) {
    if (looksLikePath || !/^[\w.-]+(\/[\w.-]+)?$/.test(model)) {
      throw new InvalidArgumentError(
        "model",
        `no model directory at ${path}. Pass a directory holding config.json, tokenizer.json and onnx/model.onnx, ` +
          'or a Hugging Face Hub id such as "onnx-community/Qwen2.5-0.5B-Instruct".',
      );
    }
    return { ref: model, local: false, name: model.split("/").pop() ?? model, facts: undefined };
  }
  if (!statSync(path).isDirectory()) {
    throw new InvalidArgumentError(
      "model",
      `${path} is a file; pass the model's directory (the one holding config.json and onnx/).`,
    );
  }
  const config = readJson(path, model, "config.json");
  const tokenizerConfig = readJson(path, model, "tokenizer_config.json");
  requireFile(path, model, "tokenizer.json");
  requireFile(path, model, onnxFileName(config, dtype));
  const templatePath = join(path, "chat_template.jinja");
  const chatTemplateFile =
    typeof tokenizerConfig.chat_template === "undefined" && existsSync(templatePath)
      ? readFileSync(templatePath, "utf8")
      : undefined;
  return {
    ref: path,
    local: true,
    name: basename(path),
    facts: {
      modelType: typeof config.model_type === "string" ? config.model_type : "",
      contextLength: contextLengthOf(config),
      hasChatTemplate: Boolean(tokenizerConfig.chat_template) || Boolean(chatTemplateFile?.trim()),
      chatTemplateFile,
    },
  };
}

/** The ONNX file transformers.js loads for `dtype` (and config.json's `transformers.js_config`), on the CPU. */
export function onnxFileName(config: Record<string, unknown>, dtype: HuggingFaceDtype | undefined): string {
  let chosen: string | undefined = dtype;
  if (chosen === undefined || chosen === "auto") {
    const custom = config["transformers.js_config"] as { dtype?: unknown } | undefined;
    const configured = custom?.dtype;
    chosen =
      typeof configured === "string"
        ? configured
        : typeof (configured as Record<string, unknown> | undefined)?.model === "string"
          ? ((configured as Record<string, string>).model as string)
          : "fp32";
  }
  const suffix = DTYPE_SUFFIX[chosen as Exclude<HuggingFaceDtype, "auto">] ?? "";
  return `onnx/model${suffix}.onnx`;
}

/** The context length a config.json declares, under any of the usual names. */
export function contextLengthOf(config: Record<string, unknown>): number | undefined {
  for (const key of [
    "max_position_embeddings",
    "n_positions",
    "n_ctx",
    "max_sequence_length",
    "seq_length",
  ]) {
    const v = config[key];
    if (typeof v === "number" && Number.isInteger(v) && v > 0) return v;
  }
  const text = config.text_config as Record<string, unknown> | undefined;
  return text && typeof text === "object" ? contextLengthOf(text) : undefined;
}

function requireFile(dir: string, model: string, file: string): void {
  if (existsSync(join(dir, file))) return;
  throw new ModelFileMissingError(
    `The model directory ${dir} has no ${file}, which transformers.js needs. Download the whole model ` +
      "repository (config, tokenizer and the onnx/ folder), e.g. `huggingface-cli download <id> --local-dir " +
      `${dir}\`${file.startsWith("onnx/") ? ", or pick a dtype whose file is there" : ""}.`,
    model,
    file,
  );
}

function readJson(dir: string, model: string, file: string): Record<string, unknown> {
  requireFile(dir, model, file);
  try {
    const value: unknown = JSON.parse(readFileSync(join(dir, file), "utf8"));
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new InvalidArgumentError("model", `${join(dir, file)} is not a JSON object.`);
}
