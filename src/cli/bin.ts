#!/usr/bin/env node
import { main } from "./main.js";

// Ctrl-C aborts the running request; a second Ctrl-C exits at once.
const interrupt = new AbortController();
process.once("SIGINT", () => {
  interrupt.abort();
  process.once("SIGINT", () => process.exit(130));
});

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  interrupt: interrupt.signal,
});
process.exitCode = interrupt.signal.aborted && code === 0 ? 130 : code;
