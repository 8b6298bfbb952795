/**
 * Writes `chunk` to `out` and, if the writer asks to slow down, waits for `drain`. Resolves `"ok"`, `"closed"`
 * if the writer closed first, or the writer's error. Never waits forever on a destroyed writer.
 */
export async function writeRespectingBackpressure(
  out: NodeJS.WritableStream,
  chunk: string,
): Promise<"ok" | "closed" | Error> {
  const w = out as NodeJS.WritableStream & {
    destroyed?: boolean;
    writableEnded?: boolean;
    errored?: Error | null;
  };
  if (w.destroyed || w.writableEnded) return w.errored ?? "closed";
  if (out.write(chunk)) return "ok";
  if (w.destroyed) return w.errored ?? "closed";
  return new Promise((resolve) => {
    const done = (outcome: "ok" | "closed" | Error) => {
      out.removeListener("drain", onDrain);
      out.removeListener("close", onClose);
      out.removeListener("error", onError);
      resolve(outcome);
    };
    const onDrain = () => done("ok");
    const onClose = () => done(w.errored ?? "closed");
    const onError = (error: Error) => done(error);
    out.once("drain", onDrain);
    out.once("close", onClose);
    out.once("error", onError);
  });
}
