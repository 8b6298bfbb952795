import { jsonArrayBytes } from "./json-string-writer.js";

/** The fields streamdex sends to `/v1/embeddings`, in the order they are written. @internal */
export interface EmbeddingsRequestBody {
  model: string;
  input: string[];
  encoding_format: "base64" | "float";
  dimensions?: number;
}

/**
 * The body of a `/v1/embeddings` request: exactly the UTF-8 bytes of `JSON.stringify(body)`, with the inputs (the
 * megabytes of a batch) written by {@link jsonArrayBytes} rather than through one large string.
 *
 * @internal
 */
export function encodeEmbeddingsBody(body: EmbeddingsRequestBody): Buffer {
  const { model, input, ...rest } = body;
  const tail = JSON.stringify(rest);
  return jsonArrayBytes(
    `{"model":${JSON.stringify(model)},"input":`,
    input,
    tail === "{}" ? "}" : `,${tail.slice(1)}`,
  );
}
