/** Whether `url` answers GET with a 2xx status within `timeoutMs` (default 2 000). Never throws. */
export async function answersOk(url: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** GETs `url` and parses its JSON body; throws with the status and body when it is not 2xx. */
export async function getJson(url: string, timeoutMs = 10_000): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET ${url} answered ${String(response.status)}: ${body.slice(0, 500)}`);
  return JSON.parse(body) as unknown;
}

/** POSTs `body` as JSON to `url` and parses the JSON answer; throws with the status and body when it is not 2xx. */
export async function postJson(url: string, body: unknown, timeoutMs = 10_000): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url} answered ${String(response.status)}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as unknown;
}
