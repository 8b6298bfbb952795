import { StreamdexError } from "../../errors/index.js";
import { messageOf } from "../../errors/message-of.js";
import { HuggingFaceModelLoadError, ModelFileMissingError, ModelNotDownloadedError } from "./errors.js";
import type { ModelSource } from "./model-source.js";

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
]);

/**
 * Maps what transformers.js throws while loading a model to a typed {@link HuggingFaceModelLoadError}: a Hub id that is
 * not downloaded while remote loading is off or the Hub is unreachable ({@link ModelNotDownloadedError}), a
 * file missing ({@link ModelFileMissingError}), anything else with transformers.js's own message.
 */
export function toLoadError(error: unknown, model: string, source: ModelSource): Error {
  if (error instanceof StreamdexError) return error;
  const message = messageOf(error);
  const init = { providerMessage: message, cause: error };
  const howToDownload =
    `Download it once (e.g. \`huggingface-cli download ${model} --local-dir ./models/${source.name}\`) and ` +
    "pass that directory as `model`.";
  if (!source.local && /allowRemoteModels=false|local_files_only=true/.test(message)) {
    return new ModelNotDownloadedError(
      `The model ${model} is not available locally and remote loading is off (env.allowRemoteModels = false). ` +
        howToDownload,
      model,
      init,
    );
  }
  const network = networkCode(error);
  if (!source.local && network !== undefined) {
    return new ModelNotDownloadedError(
      `Could not download the model ${model}: the Hugging Face Hub is not reachable (${network}). ${howToDownload}`,
      model,
      init,
    );
  }
  const missing = /(?:file was not found locally at|Could not locate file:?) "([^"]+)"/.exec(message)?.[1];
  if (missing !== undefined) {
    const file = fileInModel(missing, source.ref);
    return new ModelFileMissingError(
      `The model ${model} has no ${file}, which transformers.js needs: ${message}`,
      model,
      file,
    );
  }
  return new HuggingFaceModelLoadError(
    `transformers.js could not load the model ${model}: ${message}`,
    model,
    init,
  );
}

/** The network error code somewhere in `error`'s cause chain (fetch wraps it), if any. */
function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
    if (e instanceof TypeError && e.message === "fetch failed" && !(e as { cause?: unknown }).cause) {
      return "fetch failed";
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `path` relative to the model (a local path or a Hub URL), e.g. `"onnx/model.onnx"`. */
function fileInModel(path: string, ref: string): string {
  const resolved = /\/resolve\/[^/]+\/(.+)$/.exec(path)?.[1];
  if (resolved) return resolved;
  return path.startsWith(`${ref}/`) ? path.slice(ref.length + 1) : path;
}
