import { createServer, type Server, Socket } from "node:net";

interface Link {
  client: Socket;
  server: Socket;
  /** The last bytes the client sent, so a marker split across two TCP chunks is still seen. */
  tail: string;
}

interface Cut {
  marker: string;
  left: number;
  done: () => void;
}

/**
 * A TCP proxy on 127.0.0.1 (port 0) in front of a Postgres server, for fault injection on the wire: it counts the
 * connections clients open, and can cut every connection at the moment a client sends a message containing a
 * marker (the message is dropped, so the server never runs it), as a server restart or a network failure would.
 */
export class WireProxy {
  readonly #server: Server;
  readonly #links = new Set<Link>();
  #cut: Cut | undefined;
  #opened = 0;

  private constructor(
    server: Server,
    readonly port: number,
  ) {
    this.#server = server;
  }

  /** Starts a proxy that forwards to `127.0.0.1:targetPort`. */
  static async start(targetPort: number): Promise<WireProxy> {
    let proxy: WireProxy | undefined;
    const server = createServer((client) => {
      if (proxy === undefined) client.destroy();
      else proxy.#accept(client, targetPort);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    proxy = new WireProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  /** Connections opened through the proxy so far. */
  get opened(): number {
    return this.#opened;
  }

  /** Connections open now. */
  get open(): number {
    return this.#links.size;
  }

  /** A connection string through the proxy (with a password no error may show). */
  url(password = "s3cret-Pa55word"): string {
    return `postgres://postgres:${password}@127.0.0.1:${this.port}/postgres`;
  }

  /**
   * Arms a cut: the `nth` client message containing `marker` is dropped and every connection is destroyed at once.
   * Resolves when the cut has happened.
   */
  cutOn(marker: string, nth = 1): Promise<void> {
    return new Promise((done) => {
      this.#cut = { marker, left: nth, done };
    });
  }

  /** Destroys every open connection (both sides). */
  cutAll(): void {
    for (const link of this.#links) {
      link.client.destroy();
      link.server.destroy();
    }
    this.#links.clear();
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #accept(client: Socket, targetPort: number): void {
    this.#opened++;
    const server = new Socket();
    const link: Link = { client, server, tail: "" };
    this.#links.add(link);
    const drop = () => {
      client.destroy();
      server.destroy();
      this.#links.delete(link);
    };
    client.on("error", drop).on("close", drop);
    server.on("error", drop).on("close", drop);
    server.on("data", (chunk: Buffer) => client.write(chunk));
    client.on("data", (chunk: Buffer) => {
      const seen = link.tail.length;
      const text = link.tail + chunk.toString("latin1");
      link.tail = text.slice(-64);
      const cut = this.#cut;
      // Only matches that end in this chunk: one in the kept tail was counted with the chunk before.
      const hit =
        cut !== undefined && text.indexOf(cut.marker, Math.max(0, seen - cut.marker.length + 1)) !== -1;
      if (cut !== undefined && hit && --cut.left === 0) {
        this.#cut = undefined;
        this.cutAll();
        cut.done();
        return;
      }
      server.write(chunk);
    });
    client.pause();
    server.connect(targetPort, "127.0.0.1", () => client.resume());
  }
}
