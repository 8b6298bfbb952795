import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { performance } from "node:perf_hooks";

/** The fault knobs every fake server shares: fail with `status`, only the first `failTimes` times. */
export interface BaseFaultConfig {
  status?: number;
  failTimes?: number;
}

/**
 * What the loopback test servers (fake OpenAI, fake TGI) share: listening on 127.0.0.1 port 0, per-route fault
 * configs over a default one, `failTimes` counting, request records, `waitFor`, open-stream counting and a
 * `close()` that never hangs on open streams. A subclass answers requests in `handle`.
 */
export abstract class LoopbackFaultServer<Config extends BaseFaultConfig, Route extends string, Rec> {
  readonly requests: Rec[] = [];
  protected readonly server: Server;
  protected streams = 0;
  private readonly sockets = new Set<Socket>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly routeConfigs = new Map<Route, Config>();
  private readonly failCounts = new Map<Route | "default", number>();
  private defaultConfig: Config;
  /** Set once `close()` started: requests cut off by it are not client aborts. */
  protected closing: Promise<void> | undefined;

  constructor(
    private readonly initial: Config,
    private readonly name: string,
  ) {
    this.defaultConfig = { ...initial };
    this.server = createServer((req, res) => {
      const p = this.handle(req, res).catch(() => {
        if (!res.headersSent && !res.destroyed) res.writeHead(500).end();
        else res.destroy();
      });
      this.inFlight.add(p);
      void p.finally(() => this.inFlight.delete(p));
    });
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.once("close", () => this.sockets.delete(s));
    });
  }

  /** Answers one request. */
  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  listen(): Promise<this> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve(this);
      });
    });
  }

  /** Replaces the config for a route (or the default for all routes); route fields win over default fields. */
  configure(config: Config, route?: Route): void {
    if (route) this.routeConfigs.set(route, { ...config });
    else this.defaultConfig = { ...config };
    this.failCounts.delete(route ?? "default");
  }

  /** Clears requests, route configs and failTimes counters; the default config goes back to the initial one. */
  reset(): void {
    this.requests.length = 0;
    this.routeConfigs.clear();
    this.failCounts.clear();
    this.defaultConfig = { ...this.initial };
  }

  /** Polls `predicate` every 5 ms; rejects after `timeoutMs` (default 5000). A throwing predicate counts as false. */
  async waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    const start = performance.now();
    for (;;) {
      let ok = false;
      try {
        ok = predicate();
      } catch {
        ok = false;
      }
      if (ok) return;
      if (performance.now() - start >= timeoutMs) {
        throw new Error(
          `${this.name}.waitFor: condition still false after ${timeoutMs} ms (${this.requests.length} request(s) recorded)`,
        );
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Streams currently being written. */
  openStreams(): number {
    return this.streams;
  }

  /** Closes the server, destroys open sockets and waits for running handlers. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const s of this.sockets) s.destroy();
      this.server.closeAllConnections();
      await closed;
      await Promise.allSettled([...this.inFlight]);
    })();
    return this.closing;
  }

  /** The config in force for `route`: its own fields over the default's. */
  protected effectiveConfig(route: Route | "other"): { cfg: Config; key: Route | "default" } {
    const own = route === "other" ? undefined : this.routeConfigs.get(route as Route);
    if (!own) return { cfg: this.defaultConfig, key: "default" };
    return { cfg: { ...this.defaultConfig, ...own }, key: route as Route };
  }

  /** True when a configured `status` fault applies to this request (counts towards failTimes). */
  protected shouldFail(cfg: Config, key: Route | "default"): boolean {
    if (cfg.status === undefined) return false;
    const n = this.failCounts.get(key) ?? 0;
    this.failCounts.set(key, n + 1);
    return cfg.failTimes === undefined || n < cfg.failTimes;
  }
}
