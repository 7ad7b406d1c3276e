/**
 * Maps `items` with at most `total` calls in flight, and at most `perKey` for items of one key (one host): a cluster
 * of hundreds of hosts is probed in parallel without a thousand SSH channels at once, and one slow host holds up only
 * its own share.
 */
export async function mapLimited<T, R>(items: T[], fn: (item: T, index: number) => Promise<R>, opts: { total: number; perKey?: number; key?: (item: T) => string }): Promise<R[]> {
  const results = new Array<R>(items.length);
  const active = new Map<string, number>();
  const waiting = items.map((_, i) => i);
  let running = 0;
  return new Promise<R[]>((resolve, reject) => {
    let failed = false;
    const keyOf = (i: number) => opts.key?.(items[i]) ?? '';
    const pump = () => {
      if (failed) return;
      if (!waiting.length && running === 0) return resolve(results);
      for (let w = 0; w < waiting.length && running < opts.total; ) {
        const i = waiting[w];
        const k = keyOf(i);
        if ((active.get(k) ?? 0) >= (opts.perKey ?? Infinity)) { w++; continue; }
        waiting.splice(w, 1);
        running++;
        active.set(k, (active.get(k) ?? 0) + 1);
        fn(items[i], i).then((r) => { results[i] = r; }, (err) => { failed = true; reject(err); }).finally(() => {
          running--;
          active.set(k, (active.get(k) ?? 1) - 1);
          pump();
        });
      }
    };
    pump();
  });
}

/**
 * `items` in batches of one key (one host) each, for calls that take several at once: at least `minBatch` to a batch
 * where a key has that many, and no more batches of a key than `perKey` (the calls that may run on it at once).
 */
export function batchesByKey<T>(items: T[], key: (item: T) => string, opts: { perKey: number; minBatch: number }): Array<{ key: string; items: T[] }> {
  const byKey = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = byKey.get(k);
    if (group) group.push(item);
    else byKey.set(k, [item]);
  }
  const out: Array<{ key: string; items: T[] }> = [];
  for (const [k, all] of byKey) {
    const size = Math.max(opts.minBatch, Math.ceil(all.length / opts.perKey));
    for (let i = 0; i < all.length; i += size) out.push({ key: k, items: all.slice(i, i + size) });
  }
  return out;
}
