/**
 * Runs `work` on every item with at most `limit` running at once. Items are taken in
 * order; once `stop()` is true or a work item has failed, no new item starts. Every
 * running item settles before this returns (so nothing outlives a failure), then the
 * first failure is thrown.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  stop: () => boolean,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { reason: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < items.length && !stop()) {
      const index = next++;
      try {
        await work(items[index], index);
      } catch (e) {
        failure ??= { reason: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== undefined) throw failure.reason;
}
