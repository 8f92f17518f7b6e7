// Times the memory store keeps for days (entry expiries, order times) are stored as ms after this
// process's start. An epoch-ms number (1.7e12) does not fit V8's 32-bit small integers, so every
// one is a separate 16-byte HeapNumber that each GC visits; ms after EPOCH are small integers for
// ±24 days, stored inline in their object.
//
// Fields that hold such a time start as null, so that V8 types them "any value" rather than
// "number": a time outside the small-integer range (35-day batch expiries, Infinity, a test's fixed
// clock) is then boxed in its own object only, instead of turning the field into a boxed double in
// every object of that shape.
export const EPOCH = Date.now();
