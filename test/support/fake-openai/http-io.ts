import type { Exchange as BaseExchange } from "../loopback-http-io.js";
import type { RecordedRequest } from "./faults.js";

export { StreamWriter, sendJson, sendText, sleep, writeHead } from "../loopback-http-io.js";

/** One request/response pair of this fake server, with its own request record. */
export type Exchange = BaseExchange<RecordedRequest>;
