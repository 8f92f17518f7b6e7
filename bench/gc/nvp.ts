// One `--trace-gc-nvp` line: V8 prints each collection as `name=value` pairs after the isolate's head.
// Shared by trace-summary.ts and map-churn.ts.

export interface NvpGc {
  /** 's' (scavenge), 'mc' (mark-compact or mark-sweep), or 'other' (a minor mark-compact…). */
  kind: 's' | 'mc' | 'other';
  /** Every numeric pair but `gc`: pause, allocated, promoted, new_space_survived, total_size_after… */
  fields: Record<string, number>;
}

/** The collection an nvp line (whole, or from `pause=` on) reports; undefined for any other line. */
export function parseNvp(line: string): NvpGc | undefined {
  const at = line.indexOf('pause=');
  if (at < 0) return undefined;
  const fields: Record<string, number> = {};
  let kind: NvpGc['kind'] | undefined;
  for (const kv of line.slice(at).split(' ')) {
    const i = kv.indexOf('=');
    if (i < 0) continue;
    const k = kv.slice(0, i);
    const v = kv.slice(i + 1);
    if (k === 'gc') kind = v === 's' ? 's' : v === 'mc' || v === 'ms' ? 'mc' : 'other';
    else fields[k] = Number.parseFloat(v);
  }
  return kind === undefined ? undefined : { kind, fields };
}
