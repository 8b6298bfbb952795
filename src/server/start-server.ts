import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { isIP } from "node:net";
import { InvalidArgumentError } from "../errors/index.js";
import { createRequestHandler } from "./node-handler.js";
import type { ServerOptions } from "./options.js";

/** Options of {@link startServer}. */
export interface StartServerOptions extends ServerOptions {
  /** Interface to listen on (default `"127.0.0.1"`). Any other than loopback needs a `token`. */
  host?: string;
  /** Port (default 0: any free port; read it from the result). */
  port?: number;
}

/** A listening server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:53211`. */
  url: string;
  port: number;
  /** Stops listening and ends open connections (answers in progress, also those held for resuming, are aborted). */
  close(): Promise<void>;
}

/**
 * Starts an HTTP server with the web page and the API. Refuses to listen beyond loopback without a `token`.
 *
 * @example
 * ```ts
 * const server = await startServer({ createEngine, port: 8080 });
 * console.log(`open ${server.url}`);
 * ```
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError("port", `expected an integer from 0 to 65535, got ${String(port)}.`);
  }
  if (!isLoopback(host) && options.token === undefined) {
    throw new InvalidArgumentError(
      "host",
      `refusing to listen on ${JSON.stringify(host)} without a token: anyone who can reach it could spend ` +
        'your model provider\'s credits. Set `token` (clients send "Authorization: Bearer <token>"), or ' +
        'listen on "127.0.0.1".',
    );
  }
  const bindHost = host.replace(/^\[|\]$/g, "");
  const shutdown = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, shutdown.signal]) : shutdown.signal;
  const server = createServer(createRequestHandler({ ...options, signal }));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, bindHost, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = isIP(bindHost) === 6 ? `[${bindHost}]` : bindHost;
  return {
    url: `http://${shown}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        shutdown.abort();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Whether `host` names the loopback interface only. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h === "::1") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  return h.startsWith("::ffff:127.");
}
