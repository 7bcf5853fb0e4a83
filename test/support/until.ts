/** Waits until `check` holds, polling every 100 ms; fails naming `what` after `timeout` ms. */
export async function until(check: () => Promise<boolean> | boolean, timeout: number, what: string): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
