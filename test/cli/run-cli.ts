import { PassThrough } from "node:stream";
import { main } from "../../src/cli/main.js";

/** Runs the command in-process and captures its output. */
export async function runCli(
  argv: string[],
  options: {
    cwd: string;
    env?: Record<string, string | undefined>;
    interrupt?: AbortSignal;
    /** Sees stderr as it is written (to act while the command runs). */
    onStderr?: (text: string) => void;
  },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => {
    out += String(d);
  });
  stderr.on("data", (d) => {
    err += String(d);
    options.onStderr?.(err);
  });
  const code = await main(argv, {
    stdout,
    stderr,
    cwd: options.cwd,
    env: options.env ?? {},
    interrupt: options.interrupt ?? new AbortController().signal,
  });
  return { code, stdout: out, stderr: err };
}
