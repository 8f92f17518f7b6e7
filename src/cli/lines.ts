// Line-at-a-time processing of stdin for the commands that take one item per line.
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface LineResult {
  out: string;
  ok: boolean;
}

/**
 * Calls `handle` for each non-blank input line and writes its output line, honouring backpressure.
 * Resolves to exit status 0 when every line succeeded, else 2.
 */
export async function forEachLine(
  handle: (line: string) => LineResult,
  input: Readable = process.stdin,
  output: Writable = process.stdout,
): Promise<number> {
  let failed = false;
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of rl) {
    if (line.trim() === '') continue;
    const r = handle(line);
    if (!r.ok) failed = true;
    if (!output.write(`${r.out}\n`)) await new Promise((resolve) => output.once('drain', resolve));
  }
  return failed ? 2 : 0;
}
