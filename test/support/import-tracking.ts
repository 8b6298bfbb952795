/**
 * Module hooks for a child process that checks which packages an import loads: every module URL resolved is
 * reported over a MessagePort into `urls`, and the package named by the env variable `BLOCK` fails to resolve
 * exactly as Node fails when a package is not installed.
 */
const HOOKS = `
let port, block;
export async function initialize(data) { port = data.port; block = data.block; }
export async function resolve(specifier, context, next) {
  if (block && specifier === block) {
    const error = new Error("Cannot find package '" + block + "' imported from " + context.parentURL);
    error.code = "ERR_MODULE_NOT_FOUND";
    throw error;
  }
  const result = await next(specifier, context);
  port.postMessage(result.url);
  return result;
}`;

/**
 * The start of a child script (ESM source): registers the hooks and defines `urls` (module URLs resolved so far)
 * and `resolvedSoFar()`, which waits for the hooks thread's messages and returns `urls`. The rest of the script
 * may import anything but `__register` and `__MessageChannel`.
 */
export const IMPORT_TRACKING_PREAMBLE = `
import { register as __register } from "node:module";
import { MessageChannel as __MessageChannel } from "node:worker_threads";
const { port1: __port1, port2: __port2 } = new __MessageChannel();
const urls = [];
__port1.on("message", (url) => urls.push(url));
__port1.unref();
__register("data:text/javascript," + encodeURIComponent(${JSON.stringify(HOOKS)}), {
  data: { port: __port2, block: process.env.BLOCK || undefined },
  transferList: [__port2],
});
async function resolvedSoFar() {
  await new Promise((r) => setTimeout(r, 50)); // let the hooks thread's messages arrive
  return urls;
}
`;
