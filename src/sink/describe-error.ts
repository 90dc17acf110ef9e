/** `Name: message` of an error, or the string form of anything else thrown, for the logs. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
