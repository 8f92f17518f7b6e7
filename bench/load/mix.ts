// The transaction mix: weights per type, parsed from `sale=70,precreate=10,query=10,echo=9,reversal=1`
// and drawn with a seeded RNG so the target and the baseline get the same sequence.
import type { Rng } from './random.js';

export const TX_TYPES = ['sale', 'precreate', 'query', 'echo', 'reversal'] as const;
export type TxType = (typeof TX_TYPES)[number];

export const DEFAULT_MIX = 'sale=70,precreate=10,query=10,echo=9,reversal=1';

export class MixError extends Error {
  override name = 'MixError';
}

export interface Mix {
  readonly weights: Readonly<Record<TxType, number>>;
  pick(rng: Rng): TxType;
}

export function parseMix(spec: string): Mix {
  const weights = Object.fromEntries(TX_TYPES.map((t) => [t, 0])) as Record<TxType, number>;
  for (const part of spec.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const m = /^([a-z]+)\s*[=:]\s*(\d+(?:\.\d+)?)%?$/.exec(item);
    if (!m) throw new MixError(`mix item '${item}' is not type=weight`);
    const [, name, weight] = m;
    if (!(TX_TYPES as readonly string[]).includes(name)) {
      throw new MixError(`unknown transaction type '${name}' (known: ${TX_TYPES.join(', ')})`);
    }
    weights[name as TxType] += Number(weight);
  }
  const total = TX_TYPES.reduce((s, t) => s + weights[t], 0);
  if (!(total > 0)) throw new MixError(`mix '${spec}' has no positive weight`);
  const cumulative: Array<[number, TxType]> = [];
  let acc = 0;
  for (const t of TX_TYPES) {
    if (weights[t] <= 0) continue;
    acc += weights[t] / total;
    cumulative.push([acc, t]);
  }
  return {
    weights,
    pick(rng) {
      const u = rng();
      for (const [edge, t] of cumulative) if (u < edge) return t;
      return cumulative[cumulative.length - 1][1];
    },
  };
}

export function formatMix(mix: Mix): string {
  return TX_TYPES.filter((t) => mix.weights[t] > 0)
    .map((t) => `${t}=${mix.weights[t]}`)
    .join(',');
}
