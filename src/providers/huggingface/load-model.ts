import type {
  FeatureExtractionPipeline,
  PreTrainedModel,
  PreTrainedTokenizer,
  PretrainedConfig,
  PretrainedModelOptions,
} from "@huggingface/transformers";
import { UnsupportedArchitectureError } from "./errors.js";
import { toLoadError } from "./load-errors.js";
import type { Transformers } from "./load-module.js";
import { contextLengthOf, type HuggingFaceDtype, type ModelSource } from "./model-source.js";

/** How to load a model. */
export interface LoadSpec {
  tf: Transformers;
  /** The model as the user gave it (for messages). */
  model: string;
  source: ModelSource;
  dtype: HuggingFaceDtype | undefined;
  device: string;
}

/** A loaded causal LM, shared by every `HuggingFaceLLM` on the same model, dtype and device. */
export interface LoadedCausalLM {
  model: PreTrainedModel;
  tokenizer: PreTrainedTokenizer;
  /** config.json's context length, when it declares one. */
  contextLength: number | undefined;
  /** Tokens that end generation (generation_config.json / config.json `eos_token_id`). */
  eosTokenIds: Set<number>;
  dispose(): Promise<void>;
}

/** A loaded feature-extraction pipeline, shared by every `HuggingFaceEmbedding` on the same model. */
export interface LoadedEncoder {
  pipeline: FeatureExtractionPipeline;
  dispose(): Promise<void>;
}

/** The cache key of a model: one load per (kind, model, dtype, device). */
export function modelKey(kind: string, spec: Omit<LoadSpec, "tf" | "model">): string {
  return `${kind}|${spec.source.ref}|${spec.dtype ?? "default"}|${spec.device}`;
}

/** Loads a text-generation model and its tokenizer (architecture checked first). */
export async function loadCausalLM(spec: LoadSpec): Promise<LoadedCausalLM> {
  const { tf, source } = spec;
  try {
    const config = await loadConfig(spec);
    if (!tf.AutoModelForCausalLM.supports(config.model_type ?? ""))
      throw unsupported(spec, config, "text generation");
    const options = modelOptions(spec, config);
    const [tokenizer, model] = await Promise.all([
      tf.AutoTokenizer.from_pretrained(source.ref, { local_files_only: source.local }),
      tf.AutoModelForCausalLM.from_pretrained(source.ref, options),
    ]);
    const template = source.facts?.chatTemplateFile;
    if (!tokenizer.chat_template && template) tokenizer.chat_template = template;
    const generationConfig = (model as { generation_config?: { eos_token_id?: unknown } }).generation_config;
    const raw = config as unknown as Record<string, unknown>;
    return {
      model,
      tokenizer,
      contextLength: contextLengthOf(raw),
      eosTokenIds: new Set([...ids(generationConfig?.eos_token_id), ...ids(raw.eos_token_id)]),
      dispose: async () => {
        await model.dispose();
      },
    };
  } catch (error) {
    throw toLoadError(error, spec.model, source);
  }
}

/** Loads a feature-extraction pipeline (an encoder and its tokenizer; architecture checked first). */
export async function loadEncoder(spec: LoadSpec): Promise<LoadedEncoder> {
  const { tf, source } = spec;
  try {
    const config = await loadConfig(spec);
    const known = tf.AutoModel.MODEL_CLASS_MAPPINGS.some((mapping) => mapping.has(config.model_type ?? ""));
    if (!known) throw unsupported(spec, config, "feature extraction");
    const pipeline = await tf.pipeline("feature-extraction", source.ref, modelOptions(spec, config));
    return {
      pipeline,
      dispose: async () => {
        await pipeline.dispose();
      },
    };
  } catch (error) {
    throw toLoadError(error, spec.model, source);
  }
}

function loadConfig(spec: LoadSpec): Promise<PretrainedConfig> {
  return spec.tf.AutoConfig.from_pretrained(spec.source.ref, { local_files_only: spec.source.local });
}

function modelOptions(spec: LoadSpec, config: PretrainedConfig): PretrainedModelOptions {
  return {
    config,
    local_files_only: spec.source.local,
    device: spec.device as PretrainedModelOptions["device"],
    ...(spec.dtype !== undefined ? { dtype: spec.dtype } : {}),
  };
}

function unsupported(spec: LoadSpec, config: PretrainedConfig, task: string): UnsupportedArchitectureError {
  const type = typeof config.model_type === "string" ? config.model_type : "";
  const what = type === "" ? "no model_type in its config.json" : `model_type "${type}"`;
  return new UnsupportedArchitectureError(
    `The model ${spec.model} has ${what}, which transformers.js ${spec.tf.env.version} cannot run for ${task}. ` +
      "Use a model converted for transformers.js (the onnx-community/ and Xenova/ repos on the Hub are), or a " +
      "newer @huggingface/transformers.",
    spec.model,
    type,
  );
}

function ids(value: unknown): number[] {
  if (typeof value === "number") return [value];
  return Array.isArray(value) ? value.filter((v): v is number => typeof v === "number") : [];
}
