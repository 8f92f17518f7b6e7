// Records the memory store hands out without copying: frozen through and through, so a caller's
// write cannot reach what the store holds (in strict mode the write throws).

/** Freezes `value` and every object reachable from it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
