import { StreamdexError } from "../../errors/index.js";

/** The `node-llama-cpp` module, imported only when a llama.cpp model is first used. */
export type NodeLlamaCpp = typeof import("node-llama-cpp");

/** An optional peer dependency (here `node-llama-cpp`) is not installed. */
export class MissingDependencyError extends StreamdexError {
  /** The npm package to install. */
  readonly packageName: string;

  constructor(packageName: string, options?: { cause?: unknown }) {
    super(
      `streamdex/llamacpp needs the optional package "${packageName}": run \`npm install ${packageName}\`.`,
      {
        code: "missing_dependency",
        cause: options?.cause,
      },
    );
    this.packageName = packageName;
  }
}

let loading: Promise<NodeLlamaCpp> | undefined;

/**
 * Imports `node-llama-cpp` once; when the package itself is missing, rejects with a one-line
 * {@link MissingDependencyError}. `importer` exists for tests.
 */
export function loadNodeLlamaCpp(
  importer: () => Promise<NodeLlamaCpp> = () => import("node-llama-cpp"),
): Promise<NodeLlamaCpp> {
  if (!loading) {
    loading = importer().catch((error: unknown) => {
      loading = undefined;
      throw isMissingPackage(error) ? new MissingDependencyError("node-llama-cpp", { cause: error }) : error;
    });
  }
  return loading;
}

/** Resets the cached import (tests). */
export function resetNodeLlamaCppImport(): void {
  loading = undefined;
}

function isMissingPackage(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return (
    (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
    /Cannot find (package|module) ['"]node-llama-cpp['"]/.test(message)
  );
}
