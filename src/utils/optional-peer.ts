import { MissingDependencyError } from "../errors/index.js";
import { messageOf } from "../errors/message-of.js";

/** A lazily imported optional peer dependency: imported once, on first use. */
export interface OptionalPeer<T> {
  /** Imports the package (once); a missing package rejects with a one-line {@link MissingDependencyError}. */
  load(importer?: () => Promise<T>): Promise<T>;
  /** Forgets the cached import (tests). */
  reset(): void;
}

/**
 * A loader for an optional peer dependency of a provider subpath (`streamdex/llamacpp` needs `node-llama-cpp`...).
 * Importing streamdex never loads it; the first model use does. `importer` is the default `import()` call.
 *
 * @example
 * ```ts
 * const nodeLlamaCpp = optionalPeer("node-llama-cpp", "streamdex/llamacpp", () => import("node-llama-cpp"));
 * const { getLlama } = await nodeLlamaCpp.load();
 * ```
 */
export function optionalPeer<T>(
  packageName: string,
  subpath: string,
  importer: () => Promise<T>,
): OptionalPeer<T> {
  let loading: Promise<T> | undefined;
  return {
    load(override = importer) {
      if (!loading) {
        loading = override().catch((error: unknown) => {
          loading = undefined;
          throw isMissingPackage(error, packageName)
            ? new MissingDependencyError(packageName, { subpath, cause: error })
            : error;
        });
      }
      return loading;
    },
    reset() {
      loading = undefined;
    },
  };
}

/** Whether `error` says that `packageName` itself (not one of its files or dependencies) cannot be found. */
function isMissingPackage(error: unknown, packageName: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = messageOf(error);
  const quoted = packageName.replace(/[/\\^$*+?.()|[\]{}]/g, "\\$&");
  return (
    (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
    new RegExp(`Cannot find (package|module) ['"]${quoted}['"]`).test(message)
  );
}
