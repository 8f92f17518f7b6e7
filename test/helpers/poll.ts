// Waiting in a test for something another connection or process does, bounded: polls every 5 ms and
// fails with what it waited for.
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
