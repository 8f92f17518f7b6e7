// The same seed gives the same arrivals and mix, so two runs (the target and the echo baseline) see
// the same traffic: the bench draws from the sandboxes' seeded PRNG (mulberry32). Not for anything secret.
export { seededRandom as seededRng } from '../../src/channels/sandbox/random.js';

export type Rng = () => number;
