/**
 * Polls `check` every 250 ms until it returns a value (not undefined) and returns it; a check that
 * throws counts as not yet. Fails with `what` in the message after `timeoutMs` (default 60 000).
 */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await new Promise((wait) => setTimeout(wait, 250));
  }
}
