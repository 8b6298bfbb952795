/** The message of whatever was thrown: an `Error`'s `message`, else the value as a string. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
