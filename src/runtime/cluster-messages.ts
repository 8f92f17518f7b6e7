// The messages between the `serve --workers N` primary and its workers, over node:cluster's IPC
// channel. Every boxfep message carries `boxfep: <kind>`, so node's own cluster messages (and
// prom-client's) pass by untouched.
import type { ServeConfig } from '../config/serve-config.js';

/** Primary → worker. */
export type ToWorker =
  /** The worker's whole setup: its slot (1…N), the resolved config, the wallet endpoints (wallets-file JSON). */
  | { boxfep: 'start'; slot: number; config: ServeConfig; wallets?: string }
  /** Drain like SIGTERM: stop accepting, answer what is in flight within --drain-ms, exit. */
  | { boxfep: 'drain' }
  | { boxfep: 'ask'; id: number; what: 'metrics' | 'readiness' };

/** Worker → primary. */
export type FromWorker =
  /** The worker listens for messages: send it 'start'. */
  | { boxfep: 'hello' }
  | { boxfep: 'ready'; slot: number; box: number[]; notify: string }
  | { boxfep: 'answer'; id: number; result?: unknown; error?: string };

/** True for boxfep's own messages (node's and prom-client's cluster messages carry no `boxfep` key). */
export function isBoxfepMessage(m: unknown): m is { boxfep: string } {
  return typeof m === 'object' && m !== null && typeof (m as { boxfep?: unknown }).boxfep === 'string';
}
