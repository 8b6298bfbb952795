import { ProviderError, type ProviderErrorInit } from "../../errors/index.js";

const PROVIDER = "huggingface";

export { MissingDependencyError } from "../../errors/index.js";

/** transformers.js could not load a model: the base class of every load failure below. */
export class HuggingFaceModelLoadError extends ProviderError {
  /** The model as given: a local directory or a Hub id. */
  readonly model: string;

  constructor(
    message: string,
    model: string,
    init: Omit<ProviderErrorInit, "provider"> = {},
    code = "model_load_failed",
  ) {
    super(message, { provider: PROVIDER, ...init }, code);
    this.model = model;
  }
}

/** A local model directory lacks a file transformers.js needs (config.json, tokenizer.json, onnx/model.onnx…). */
export class ModelFileMissingError extends HuggingFaceModelLoadError {
  /** The missing file, relative to the model directory (e.g. `"onnx/model_quantized.onnx"`). */
  readonly fileName: string;

  constructor(message: string, model: string, fileName: string) {
    super(message, model, {}, "model_file_missing");
    this.fileName = fileName;
  }
}

/** The model's architecture (config.json `model_type`) is not one this transformers.js version can run. */
export class UnsupportedArchitectureError extends HuggingFaceModelLoadError {
  /** config.json's `model_type` (`""` when absent). */
  readonly modelType: string;

  constructor(message: string, model: string, modelType: string) {
    super(message, model, {}, "unsupported_architecture");
    this.modelType = modelType;
  }
}

/**
 * A Hub model id was given, but the model is not available locally and cannot be downloaded (remote loading is
 * off, or the Hub is not reachable). Download it once and pass the local directory instead.
 */
export class ModelNotDownloadedError extends HuggingFaceModelLoadError {
  constructor(message: string, model: string, init: Omit<ProviderErrorInit, "provider"> = {}) {
    super(message, model, init, "model_not_downloaded");
  }
}
