/**
 * The project's fake OpenAI server (test/support/fake-openai) in a process of its own, so that a benchmark's
 * client does not share its thread with the server. Prints `{"port":N}` on stdout once listening; stops on stdin
 * end (when the parent exits or closes it).
 *
 *   npx tsx bench/fake-openai-process.ts
 */
import { startFakeOpenAI } from "../test/support/fake-openai/server.js";

const server = await startFakeOpenAI();
process.stdout.write(`${JSON.stringify({ port: Number(new URL(server.baseURL).port) })}\n`);
process.stdin.resume();
process.stdin.on("end", () => {
  void server.close().then(() => process.exit(0));
});
