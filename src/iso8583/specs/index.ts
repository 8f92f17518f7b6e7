import type { Spec } from '../spec.js';
import { cupsPos } from './cups-pos.js';
import { iso87ascii } from './iso87ascii.js';

export type SpecName = 'cups-pos' | 'iso87ascii';
export const SPEC_NAMES: readonly SpecName[] = Object.freeze(['cups-pos', 'iso87ascii'] as const);

const specs: Record<SpecName, Spec> = { 'cups-pos': cupsPos, iso87ascii };

export function isSpecName(name: string): name is SpecName {
  return Object.hasOwn(specs, name);
}

export function getSpec(name: SpecName): Spec {
  const spec = specs[name];
  if (spec === undefined) throw new Error(`unknown ISO 8583 spec '${name}' (known: ${SPEC_NAMES.join(', ')})`);
  return spec;
}
