import { connect, createServer, type Server, type Socket } from "node:net";

/** What {@link startPasswordGate} saw. */
export interface PasswordGate {
  /** `127.0.0.1:<port>`, to put in a `postgres://user@…/db` URL. */
  readonly conn: string;
  /** The password of every connection that sent one, in order (`undefined`: it closed without sending one). */
  readonly received: (string | undefined)[];
  /** The user named by each connection's startup message, in order. */
  readonly users: string[];
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
/** `AuthenticationCleartextPassword`: 'R', length 8, code 3. */
const ASK_CLEARTEXT = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]);

/**
 * A loopback front for a Postgres server that does not check passwords (PGlite over the wire): it speaks the
 * start of the wire protocol itself, asks each client for its password in cleartext (as a server with
 * `password` auth in pg_hba.conf does), records it, and checks it. Right password: it replays the client's
 * startup message to `upstream` and relays both ways from then on (the upstream's `AuthenticationOk` is the
 * answer the client waits for). Wrong password: a FATAL 28P01 error, as Postgres sends, then it closes.
 */
export async function startPasswordGate(
  upstream: { host: string; port: number },
  password: string,
): Promise<PasswordGate> {
  const received: (string | undefined)[] = [];
  const users: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    let buffered = Buffer.alloc(0);
    let startup: Buffer | undefined;
    let answered = false;
    const onData = (data: Buffer) => {
      buffered = Buffer.concat([buffered, data]);
      for (;;) {
        if (startup === undefined) {
          // Untyped: int32 length (itself included), int32 code, then key\0value\0 … \0.
          if (buffered.length < 8 || buffered.length < buffered.readInt32BE(0)) return;
          const message = buffered.subarray(0, buffered.readInt32BE(0));
          buffered = buffered.subarray(message.length);
          const code = message.readInt32BE(4);
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
            client.write("N"); // no TLS here: the client carries on in the clear
            continue;
          }
          startup = Buffer.from(message);
          const fields = message.subarray(8).toString("utf8").split("\0");
          users.push(fields[fields.indexOf("user") + 1] ?? "");
          client.write(ASK_CLEARTEXT);
          continue;
        }
        // Typed: a byte, int32 length (itself included, not the type byte), body.
        if (buffered.length < 5 || buffered.length < 1 + buffered.readInt32BE(1)) return;
        const type = buffered[0];
        const body = buffered.subarray(5, 1 + buffered.readInt32BE(1));
        const rest = buffered.subarray(1 + buffered.readInt32BE(1));
        if (type !== 0x70) {
          client.destroy(); // anything but a PasswordMessage ('p') here is a protocol violation
          return;
        }
        const given = body.subarray(0, body.indexOf(0)).toString("utf8");
        received.push(given);
        answered = true;
        client.off("data", onData);
        if (given !== password) {
          const user = users.at(-1) ?? "";
          client.end(fatal("28P01", `password authentication failed for user "${user}"`));
          return;
        }
        client.pause();
        const server = connect(upstream.port, upstream.host, () => {
          server.write(startup!);
          if (rest.length > 0) server.write(rest);
          client.pipe(server);
          server.pipe(client);
          client.resume();
        });
        sockets.add(server);
        server.on("close", () => {
          sockets.delete(server);
          client.destroy();
        });
        server.on("error", () => client.destroy());
        client.on("close", () => server.destroy());
        return;
      }
    };
    client.on("data", onData);
    client.on("close", () => {
      if (startup !== undefined && !answered) received.push(undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    conn: `127.0.0.1:${port}`,
    received,
    users,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An `ErrorResponse` ('E') of severity FATAL with `code` (SQLSTATE) and `message`. */
function fatal(code: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, "utf8");
  const header = Buffer.alloc(5);
  header[0] = 0x45;
  header.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([header, fields]);
}
