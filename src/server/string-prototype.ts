// `class … extends String` (ioredis's VerbatimString, loaded with the store even when the store is
// the memory one) leaves String.prototype in dictionary mode, and V8 makes a prototype fast again
// only when an inline cache walks it from an object, never from a primitive string. Until then every
// string method call in optimised code (`s.charCodeAt(i)`, `s.slice(…)`) is a generic LoadIC call of
// ~135 instructions: the codec's encode and field 60's parse paid one per character.

/**
 * One property store on a String wrapper: its store IC walks the prototype chain and makes
 * String.prototype fast again. Called once every module is loaded (the box server's start).
 */
export function restoreFastStringPrototype(): void {
  const wrapper = new String('') as string & { touched?: boolean };
  wrapper.touched = true;
}
