#!/usr/bin/env node
import { main } from "./main.js";

// Ctrl-C aborts the running request; a second Ctrl-C exits at once. A command may take Ctrl-C over while it
// runs (`streamdex chat`: Ctrl-C stops the answer, not the program); then the handler it registered runs instead.
const interrupt = new AbortController();
const handlers: (() => void)[] = [];
process.on("SIGINT", () => {
  const handler = handlers.at(-1);
  if (handler) handler();
  else if (!interrupt.signal.aborted) interrupt.abort();
  else process.exit(130);
});

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  interrupt: interrupt.signal,
  stdin: process.stdin,
  onInterrupt: (handler) => {
    handlers.push(handler);
    return () => {
      const i = handlers.lastIndexOf(handler);
      if (i !== -1) handlers.splice(i, 1);
    };
  },
});
process.exitCode = interrupt.signal.aborted && code === 0 ? 130 : code;
