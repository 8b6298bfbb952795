import { totalmem } from "node:os";
import type { Llama, LlamaModel } from "node-llama-cpp";
import { ProviderError } from "../../errors/index.js";
import { messageOf } from "../../errors/message-of.js";
import { InsufficientMemoryError, LogTail, toLoadError } from "./errors.js";
import type { NodeLlamaCpp } from "./load-module.js";
import { SequencePool } from "./sequence-pool.js";

/** A llama.cpp runtime, with the tail of its log when streamdex created it. */
interface Runtime {
  llama: Llama;
  log: LogTail | undefined;
}

/** Context settings; one pool (context) per distinct combination, per model. */
export interface ContextSpec {
  contextSize: number;
  threads: number;
  sequences: number;
}

/** A loaded model, shared by every LlamaCpp instance with the same file and runtime. */
export class SharedModel {
  private readonly pools = new Map<string, Promise<SequencePool>>();

  constructor(
    readonly nlc: NodeLlamaCpp,
    readonly runtime: Runtime,
    readonly model: LlamaModel,
    readonly path: string,
  ) {}

  /** The context (and its sequences) for `spec`, created on first use and shared. */
  pool(spec: ContextSpec): Promise<SequencePool> {
    const key = `${spec.contextSize}/${spec.threads}/${spec.sequences}`;
    let pool = this.pools.get(key);
    if (!pool) {
      const mark = this.runtime.log?.count ?? 0;
      pool = this.model
        .createContext({
          contextSize: spec.contextSize,
          sequences: spec.sequences,
          threads: spec.threads,
          failedCreationRemedy: false,
        })
        .then(
          (context) => new SequencePool(context),
          async (error: unknown) => {
            this.pools.delete(key);
            await logsDelivered(this.runtime.log, mark);
            throw toLoadError(error, this.nlc, {
              modelPath: this.path,
              stage: "context",
              contextSize: spec.contextSize,
              llamaLog: this.runtime.log?.since(mark),
            });
          },
        );
      this.pools.set(key, pool);
    }
    return pool;
  }

  async dispose(): Promise<void> {
    const pools = await Promise.allSettled(this.pools.values());
    this.pools.clear();
    for (const p of pools) {
      if (p.status === "fulfilled")
        p.value.rejectWaiters(new ProviderError("The model was disposed.", { provider: "llamacpp" }));
    }
    await this.model.dispose();
  }
}

interface Entry {
  refs: number;
  model: Promise<SharedModel>;
}

const runtimes = new Map<string, Promise<Runtime>>();
const models = new Map<string, Entry>();
const customIds = new WeakMap<Llama, number>();
let nextCustomId = 1;

function runtimeKey(gpu: boolean, custom: Llama | undefined): string {
  if (!custom) return gpu ? "gpu" : "cpu";
  let id = customIds.get(custom);
  if (id === undefined) {
    id = nextCustomId++;
    customIds.set(custom, id);
  }
  return `custom-${id}`;
}

function getRuntime(nlc: NodeLlamaCpp, gpu: boolean, custom: Llama | undefined): Promise<Runtime> {
  if (custom) return Promise.resolve({ llama: custom, log: undefined });
  const key = runtimeKey(gpu, undefined);
  let runtime = runtimes.get(key);
  if (!runtime) {
    const log = new LogTail();
    runtime = nlc
      .getLlama({
        gpu: gpu ? "auto" : false,
        logLevel: nlc.LlamaLogLevel.warn,
        logger: (_level, message) => log.record(message),
      })
      .then(
        (llama) => ({ llama, log }),
        (error: unknown) => {
          runtimes.delete(key);
          const reason = messageOf(error);
          throw new ProviderError(`node-llama-cpp could not start llama.cpp: ${reason}`, {
            provider: "llamacpp",
            providerMessage: reason,
            cause: error,
          });
        },
      );
    runtimes.set(key, runtime);
  }
  return runtime;
}

/** How to find (or load) a shared model. */
export interface ModelSpec {
  nlc: NodeLlamaCpp;
  /** Absolute path of the GGUF file. */
  path: string;
  gpu: boolean;
  llama?: Llama;
}

/** A hold on a shared model: release it exactly once. */
export interface ModelLease {
  model: Promise<SharedModel>;
  release(): Promise<void>;
}

/**
 * Takes a hold on the model at `spec.path`, loading it if no instance holds it yet. One load per (file, runtime):
 * two LlamaCpp instances on the same file share the weights. The model is unloaded when the last hold goes.
 */
export function leaseModel(spec: ModelSpec): ModelLease {
  const key = `${runtimeKey(spec.gpu, spec.llama)}|${spec.path}`;
  let entry = models.get(key);
  if (!entry) {
    const model = load(spec).catch((error: unknown) => {
      if (models.get(key) === entry) models.delete(key);
      throw error;
    });
    entry = { refs: 0, model };
    models.set(key, entry);
  }
  const held = entry;
  held.refs++;
  let released = false;
  return {
    model: held.model,
    release: async () => {
      if (released) return;
      released = true;
      held.refs--;
      if (held.refs > 0) return;
      if (models.get(key) === held) models.delete(key);
      const shared = await held.model.catch(() => undefined);
      await shared?.dispose();
    },
  };
}

async function load(spec: ModelSpec): Promise<SharedModel> {
  const runtime = await getRuntime(spec.nlc, spec.gpu, spec.llama);
  if (!spec.gpu) await checkFitsInRam(spec, runtime.llama);
  const mark = runtime.log?.count ?? 0;
  try {
    const model = await runtime.llama.loadModel({ modelPath: spec.path, gpuLayers: spec.gpu ? "auto" : 0 });
    return new SharedModel(spec.nlc, runtime, model, spec.path);
  } catch (error) {
    await logsDelivered(runtime.log, mark);
    throw toLoadError(error, spec.nlc, {
      modelPath: spec.path,
      stage: "model",
      llamaLog: runtime.log?.since(mark),
    });
  }
}

/**
 * On CPU, llama.cpp memory-maps the weights and node-llama-cpp checks only contexts against free memory, so a
 * model larger than the machine's RAM would "load" and then crawl (or be killed) paging from disk. Refused here
 * instead, from the tensor sizes the GGUF header declares.
 */
async function checkFitsInRam(spec: ModelSpec, llama: Llama): Promise<void> {
  let size: number;
  try {
    const insights = await spec.nlc.GgufInsights.from(await spec.nlc.readGgufFileInfo(spec.path), llama);
    size = insights.modelSize;
  } catch {
    return; // llama.cpp's own load says what is wrong with the file
  }
  const ram = totalmem();
  if (size > ram) {
    throw new InsufficientMemoryError(
      `${spec.path} needs ${gb(size)} of RAM for its weights; this machine has ${gb(ram)}. Use a smaller or more ` +
        "quantized model (e.g. Q4_K_M), or a machine with more memory.",
      { providerMessage: `model size ${size} bytes > total RAM ${ram} bytes` },
    );
  }
}

function gb(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}

/**
 * llama.cpp's log lines reach JavaScript through a thread-safe callback, queued on the event loop like the
 * failure itself, so they may arrive just after it: on error paths only, wait (100 ms at most) for the first line
 * since `mark`, then one more tick for the rest.
 */
async function logsDelivered(log: LogTail | undefined, mark: number): Promise<void> {
  if (!log) return;
  const tick = () => new Promise((resolve) => setTimeout(resolve, 10));
  for (let waited = 0; log.count === mark && waited < 100; waited += 10) await tick();
  await tick();
}

/** How many models are loaded (tests and diagnostics). */
export function loadedModelCount(): number {
  return models.size;
}
