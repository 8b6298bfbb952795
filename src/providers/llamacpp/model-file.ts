import { statSync } from "node:fs";
import { resolve } from "node:path";
import { InvalidArgumentError, ProviderConnectionError, StreamdexError } from "../../errors/index.js";
import { messageOf } from "../../errors/message-of.js";
import { abortReason } from "../../utils/abort.js";
import { type GgufHeader, GgufHeaderError, readGgufHeader, readMagic } from "./gguf-header.js";
import type { NodeLlamaCpp } from "./load-module.js";

/** A model given by URI (`hf:user/repo:quant`, `https://…/model.gguf`): downloaded on first use. */
export function isModelUri(modelPath: string): boolean {
  return /^(hf:|huggingface:|https?:\/\/)/i.test(modelPath);
}

/**
 * Checks a local model file before llama.cpp sees it: it exists, is a file, starts with the GGUF magic and has a
 * readable header. Throws {@link InvalidArgumentError} naming the path otherwise.
 */
export function checkLocalModel(modelPath: string): { path: string; header: GgufHeader } {
  const path = resolve(modelPath);
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new InvalidArgumentError(
      "modelPath",
      `no file at ${path}. Pass the path of a .gguf model file (or an hf: URI such as ` +
        '"hf:bartowski/SmolLM2-135M-Instruct-GGUF:Q4_K_M" to download one).',
    );
  }
  if (!isFile) throw new InvalidArgumentError("modelPath", `${path} is a directory, not a .gguf file.`);
  const magic = readMagic(path);
  if (magic.toString("latin1") !== "GGUF") {
    throw new InvalidArgumentError(
      "modelPath",
      `${path} is not a GGUF model: it starts with ${JSON.stringify(magic.toString("latin1"))}, a GGUF file starts ` +
        'with "GGUF". llama.cpp only loads GGUF; convert the model with llama.cpp\'s convert_hf_to_gguf.py.',
    );
  }
  try {
    return { path, header: readGgufHeader(path) };
  } catch (error) {
    if (!(error instanceof GgufHeaderError) && !(error instanceof RangeError)) throw error;
    throw new InvalidArgumentError("modelPath", `${path} is not a readable GGUF model: ${error.message}.`);
  }
}

/**
 * Resolves a model URI to a local file with node-llama-cpp's resolver (downloading it, into `directory`, when it
 * is not there yet). Without a network it fails with {@link ProviderConnectionError} saying to pass a local path.
 */
export async function downloadModel(
  nlc: NodeLlamaCpp,
  uri: string,
  directory: string | undefined,
  signal: AbortSignal | undefined,
): Promise<string> {
  try {
    return await nlc.resolveModelFile(uri, { directory, cli: false, signal });
  } catch (error) {
    if (signal?.aborted) throw abortReason(signal);
    if (error instanceof StreamdexError) throw error;
    const reason = messageOf(error);
    throw new ProviderConnectionError(
      `Could not download the model ${uri}: ${reason}. Check the network (and the URI), or download the .gguf ` +
        "file yourself and pass its local path as modelPath.",
      { provider: "llamacpp", providerMessage: reason, cause: error },
    );
  }
}
